//! The doors a GraphQL operation comes through, who is calling, and which operations each
//! door may carry (the operation policy).

use async_graphql::parser::types::OperationType;

use crate::graphql::errors::ApiError;
use crate::graphql::subscription::ClientId;

/// Where a request came in. Every door passes the same pipeline (`pipeline::admit`); the door
/// only decides which kinds of operation it may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// A single POST; `json` when the body is `application/json` (else `application/graphql`).
    Post { json: bool },
    /// A query in the URL of a GET.
    Get,
    /// One entry of a batched POST (always a JSON body).
    BatchEntry,
    /// Server-sent events, asked for by a GET (what `new EventSource(url)` sends from any page)
    /// or by a POST with a JSON body.
    EventStream { over_get: bool },
    /// A graphql-transport-ws or graphql-ws message (the upgrade checked `Origin`).
    WebSocket,
}

impl Door {
    /// The operation policy:
    /// - mutations only from requests a cross-site page cannot send without a CORS preflight:
    ///   a JSON POST (single, batched or streamed) or a WebSocket whose origin was checked;
    ///   never over GET, SSE over GET, or a POST that is not JSON;
    /// - subscriptions only on a door that streams (SSE, WebSocket);
    /// - queries everywhere.
    pub fn allows(self, operation: OperationType) -> Result<(), ApiError> {
        match operation {
            OperationType::Query => Ok(()),
            OperationType::Mutation => match self {
                Door::Get | Door::EventStream { over_get: true } => {
                    Err(ApiError::MethodNotAllowed("mutation"))
                }
                Door::Post { json: false } => Err(ApiError::MutationNeedsJson),
                _ => Ok(()),
            },
            OperationType::Subscription => match self {
                Door::EventStream { .. } | Door::WebSocket => Ok(()),
                Door::Get => Err(ApiError::MethodNotAllowed("subscription")),
                _ => Err(ApiError::SubscriptionNeedsStream),
            },
        }
    }

    /// Whether answers through this door are streamed.
    pub fn streams(self) -> bool {
        matches!(self, Door::EventStream { .. } | Door::WebSocket)
    }
}

/// Who is calling, as the door identifies them: the client (per-client limits on holds and
/// subscriptions; asked only for operations that need it, as working it out costs an
/// allocation) and the staleness bound it asked for (`x-max-staleness-ms`).
pub trait Identify {
    fn client(&self) -> Option<ClientId>;
    fn max_staleness_ms(&self) -> Option<i64>;
    /// The banner the door names, if any (see [`BannerHint`]); the host is worked out only
    /// when `with_host` (some banner is chosen by host): it costs an allocation.
    fn banner(&self, with_host: bool) -> BannerHint {
        let _ = with_host;
        BannerHint::default()
    }
}

/// The banner a door names: by its path (`/b/{banner}/graphql`: a banner that does not exist
/// is refused) or by the `Host` it was asked at (a host no banner claims is the default
/// banner's). `@inContext(banner:)` in the operation overrides both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BannerHint {
    pub named: Option<String>,
    pub host: Option<String>,
}

/// A caller identified up front (a WebSocket connection, a batch, tests).
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub client: Option<ClientId>,
    pub max_staleness_ms: Option<i64>,
    pub banner: BannerHint,
}

impl Identify for Caller {
    fn client(&self) -> Option<ClientId> {
        self.client.clone()
    }

    fn max_staleness_ms(&self) -> Option<i64> {
        self.max_staleness_ms
    }

    fn banner(&self, _with_host: bool) -> BannerHint {
        self.banner.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOORS: [Door; 7] = [
        Door::Post { json: true },
        Door::Post { json: false },
        Door::Get,
        Door::BatchEntry,
        Door::EventStream { over_get: true },
        Door::EventStream { over_get: false },
        Door::WebSocket,
    ];

    fn code(door: Door, operation: OperationType) -> &'static str {
        door.allows(operation).err().map_or("", |e| e.code())
    }

    #[test]
    fn every_door_carries_queries() {
        for door in DOORS {
            assert_eq!(code(door, OperationType::Query), "", "{door:?}");
        }
    }

    #[test]
    fn mutations_need_a_door_a_cross_site_page_cannot_open_unasked() {
        let allowed: Vec<Door> = DOORS
            .into_iter()
            .filter(|d| d.allows(OperationType::Mutation).is_ok())
            .collect();
        assert_eq!(
            allowed,
            [
                Door::Post { json: true },
                Door::BatchEntry,
                Door::EventStream { over_get: false },
                Door::WebSocket
            ]
        );
        assert_eq!(
            code(Door::Get, OperationType::Mutation),
            "METHOD_NOT_ALLOWED"
        );
        let sse_get = Door::EventStream { over_get: true };
        assert_eq!(code(sse_get, OperationType::Mutation), "METHOD_NOT_ALLOWED");
        let graphql_body = Door::Post { json: false };
        assert_eq!(
            code(graphql_body, OperationType::Mutation),
            "UNSUPPORTED_MEDIA_TYPE"
        );
    }

    #[test]
    fn subscriptions_need_a_streaming_door() {
        for door in DOORS {
            let expected = match door {
                _ if door.streams() => "",
                Door::Get => "METHOD_NOT_ALLOWED",
                _ => "SUBSCRIPTION_NEEDS_STREAM",
            };
            assert_eq!(
                code(door, OperationType::Subscription),
                expected,
                "{door:?}"
            );
        }
    }
}
