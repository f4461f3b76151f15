//! The part of the schema the planner serves: each object type's fields and what they return
//! (another object type, or a leaf). Anything not listed here goes to async-graphql.

/// What a field returns: a leaf value, or an object (or list of objects) of this type.
pub type Returns = Option<&'static str>;

const QUERY: &[(&str, Returns)] = &[
    ("product", Some("Product")),
    ("products", Some("ProductConnection")),
    ("checkout", Some("Checkout")),
    ("viewStatus", Some("Status")),
];
const PRODUCT: &[(&str, Returns)] = &[
    ("id", None),
    ("title", None),
    ("brand", None),
    ("description", None),
    ("categories", None),
    ("images", None),
    ("hsCode", None),
    ("publishedAt", None),
    ("variants", Some("ProductVariant")),
    ("availableForSale", None),
    ("priceRange", Some("ProductPriceRange")),
];
const VARIANT: &[(&str, Returns)] = &[
    ("id", None),
    ("sku", None),
    ("title", None),
    ("size", None),
    ("color", None),
    ("price", Some("MoneyV2")),
    ("compareAtPrice", Some("MoneyV2")),
    ("quantityAvailable", None),
    ("availableForSale", None),
    ("quote", None),
];
const MONEY: &[(&str, Returns)] = &[("amount", None), ("currencyCode", None)];
const PRICE_RANGE: &[(&str, Returns)] = &[
    ("minVariantPrice", Some("MoneyV2")),
    ("maxVariantPrice", Some("MoneyV2")),
];
const CONNECTION: &[(&str, Returns)] = &[
    ("edges", Some("ProductEdge")),
    ("pageInfo", Some("PageInfo")),
    ("totalCount", None),
    ("facets", Some("Facet")),
];
const FACET: &[(&str, Returns)] = &[
    ("id", None),
    ("label", None),
    ("type", None),
    ("values", Some("FacetValue")),
    ("range", Some("PriceRangeFacet")),
];
const FACET_VALUE: &[(&str, Returns)] = &[
    ("label", None),
    ("count", None),
    ("selected", None),
    ("input", None),
];
const PRICE_RANGE_FACET: &[(&str, Returns)] = &[
    ("min", Some("MoneyV2")),
    ("max", Some("MoneyV2")),
    ("buckets", Some("PriceBucket")),
];
const PRICE_BUCKET: &[(&str, Returns)] = &[("from", None), ("to", None), ("count", None)];
const EDGE: &[(&str, Returns)] = &[("cursor", None), ("node", Some("Product"))];
const PAGE_INFO: &[(&str, Returns)] = &[
    ("hasNextPage", None),
    ("hasPreviousPage", None),
    ("startCursor", None),
    ("endCursor", None),
];
const CHECKOUT: &[(&str, Returns)] = &[
    ("currencyCode", None),
    ("lines", Some("CheckoutLine")),
    ("subtotal", Some("MoneyV2")),
    ("duties", Some("MoneyV2")),
    ("taxes", Some("MoneyV2")),
    ("shipping", Some("MoneyV2")),
    ("total", Some("MoneyV2")),
];
const CHECKOUT_LINE: &[(&str, Returns)] = &[
    ("sku", None),
    ("quantity", None),
    ("quotedQuantity", None),
    ("unitPrice", Some("MoneyV2")),
    ("lineTotal", Some("MoneyV2")),
    ("duty", Some("MoneyV2")),
    ("tax", Some("MoneyV2")),
    ("repriced", Some("Repriced")),
    ("unavailable", Some("Unavailable")),
    ("held", None),
];
const REPRICED: &[(&str, Returns)] = &[
    ("from", Some("MoneyV2")),
    ("to", Some("MoneyV2")),
    ("reason", None),
];
const UNAVAILABLE: &[(&str, Returns)] = &[("available", None)];
const STATUS: &[(&str, Returns)] = &[
    ("ready", None),
    ("brokerReachable", None),
    ("sinceContactMs", None),
    ("bootstrapping", None),
    ("bootstrapRecords", None),
    ("readyAfterMs", None),
    ("snapshot", Some("SnapshotStatus")),
    ("banner", None),
    ("views", Some("ViewStatus")),
    ("schemaRegistry", Some("RegistryStatus")),
];
const REGISTRY: &[(&str, Returns)] = &[
    ("cachedSchemas", None),
    ("fetched", None),
    ("failures", None),
    ("notFound", None),
    ("waitingFor", None),
    ("waitingSinceMs", None),
    ("waitingError", None),
];
const SNAPSHOT: &[(&str, Returns)] = &[
    ("source", None),
    ("records", None),
    ("createdAtMs", None),
    ("loadMs", None),
];
const VIEW: &[(&str, Returns)] = &[
    ("view", None),
    ("records", None),
    ("appliedOffset", None),
    ("highWatermark", None),
    ("lagMessages", None),
    ("lagMs", None),
    ("applied", None),
    ("stale", None),
    ("deleted", None),
    ("malformed", None),
];

const TYPES: &[(&str, &[(&str, Returns)])] = &[
    ("QueryRoot", QUERY),
    ("Product", PRODUCT),
    ("ProductVariant", VARIANT),
    ("MoneyV2", MONEY),
    ("ProductPriceRange", PRICE_RANGE),
    ("ProductConnection", CONNECTION),
    ("ProductEdge", EDGE),
    ("PageInfo", PAGE_INFO),
    ("Facet", FACET),
    ("FacetValue", FACET_VALUE),
    ("PriceRangeFacet", PRICE_RANGE_FACET),
    ("PriceBucket", PRICE_BUCKET),
    ("Checkout", CHECKOUT),
    ("CheckoutLine", CHECKOUT_LINE),
    ("Repriced", REPRICED),
    ("Unavailable", UNAVAILABLE),
    ("Status", STATUS),
    ("SnapshotStatus", SNAPSHOT),
    ("ViewStatus", VIEW),
    ("RegistryStatus", REGISTRY),
];

/// Field `name` of object type `parent`: its static name and what it returns.
pub fn field(parent: &str, name: &str) -> Option<(&'static str, Returns)> {
    let (_, fields) = TYPES.iter().find(|(t, _)| *t == parent)?;
    fields.iter().find(|(f, _)| *f == name).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every planned field exists in the schema with the same return type (so the table
    /// cannot drift from the code that generates `schema.graphql`).
    #[test]
    fn the_table_matches_the_schema() {
        let sdl = crate::graphql::sdl();
        let schema = async_graphql::parser::parse_schema(&sdl).expect("the SDL parses");
        use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
        let mut checked = 0;
        for definition in &schema.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let TypeKind::Object(object) = &ty.node.kind else {
                continue;
            };
            let Some((_, fields)) = TYPES.iter().find(|(t, _)| *t == ty.node.name.node.as_str())
            else {
                continue;
            };
            assert_eq!(fields.len(), object.fields.len(), "{}", ty.node.name.node);
            for f in &object.fields {
                let (_, returns) = field(ty.node.name.node.as_str(), f.node.name.node.as_str())
                    .unwrap_or_else(|| {
                        panic!("{}.{} planned", ty.node.name.node, f.node.name.node)
                    });
                let base = f.node.ty.node.to_string();
                let base = base.trim_matches(|c| c == '[' || c == ']' || c == '!');
                match returns {
                    Some(t) => assert_eq!(t, base, "{}", f.node.name.node),
                    None => assert!(object_of(base).is_none(), "{} is a leaf", f.node.name.node),
                }
                checked += 1;
            }
        }
        assert!(checked > 80, "checked {checked} fields");
    }

    fn object_of(name: &str) -> Option<&'static str> {
        TYPES.iter().find(|(t, _)| *t == name).map(|(t, _)| *t)
    }
}
