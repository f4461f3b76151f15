//! Banner settings: resolution against `[topics]` and the checks that stop start-up.

use super::*;
use crate::config::Settings;

fn with(toml: &str) -> Result<Vec<Banner>, ConfigError> {
    Settings::defaults()
        .with_overrides(toml)
        .and_then(|s| s.resolved_banners())
}

#[test]
fn no_banners_is_one_main_banner_on_the_topics() {
    let banners = Settings::defaults().resolved_banners().unwrap();
    assert_eq!(banners.len(), 1);
    let main = &banners[0];
    assert_eq!(main.name, "main");
    assert_eq!(main.prices_topic, "vitrine.prices");
    assert_eq!(main.reservations_topic, "vitrine.reservations");
    assert!(main.assortment.is_everything());
}

#[test]
fn empty_topics_are_the_shared_ones_and_the_default_comes_first() {
    let banners = with(
        r#"
        [[banners]]
        name = "outlet"
        hosts = ["Outlet.Example.com "]
        prices_topic = "vitrine.prices.outlet"
        [banners.assortment]
        include_categories = ["home"]
        [[banners]]
        name = "main"
        default = true
        [[banners]]
        name = "flash"
        inventory_topic = "flash.inventory"
        "#,
    )
    .unwrap();
    let names: Vec<&str> = banners.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["main", "outlet", "flash"]);
    let outlet = &banners[1];
    assert_eq!(outlet.hosts, ["outlet.example.com"]);
    assert_eq!(outlet.products_topic, "vitrine.products");
    assert_eq!(outlet.prices_topic, "vitrine.prices.outlet");
    assert_eq!(outlet.inventory_topic, "vitrine.inventory");
    assert_eq!(
        outlet.reservations_topic, "vitrine.reservations",
        "shared pool, shared holds"
    );
    assert_eq!(
        banners[2].reservations_topic, "",
        "its own pool: no holds unless named"
    );
}

#[test]
fn bad_banners_stop_start_up() {
    let refused = |toml: &str| with(toml).unwrap_err().to_string();
    assert!(refused("[[banners]]\nname = \"Main\"\n").contains("[a-z0-9-]"));
    assert!(refused("[[banners]]\nname = \"a\"\n[[banners]]\nname = \"a\"\n").contains("twice"));
    assert!(refused(
        "[[banners]]\nname = \"a\"\ndefault = true\n[[banners]]\nname = \"b\"\ndefault = true\n"
    )
    .contains("default"));
    assert!(refused(
        "[[banners]]\nname = \"a\"\nhosts = [\"x\"]\n[[banners]]\nname = \"b\"\nhosts = [\"X\"]\n"
    )
    .contains("host `x`"));
    assert!(
        refused("[[banners]]\nname = \"a\"\nprices_topic = \"vitrine.inventory\"\n")
            .contains("feeds both")
    );
    let one_holds_two_pools = "[[banners]]\nname = \"a\"\ninventory_topic = \"i1\"\n\
        reservations_topic = \"r\"\n[[banners]]\nname = \"b\"\ninventory_topic = \"i2\"\n\
        reservations_topic = \"r\"\n";
    assert!(refused(one_holds_two_pools).contains("one reservations topic"));
    // Loading settings runs the same checks.
    assert!(Settings::defaults()
        .with_overrides("[[banners]]\nname = \"\"\n")
        .is_err());
}
