//! How the transports that take an executor (async-graphql's WebSocket protocols) and batches
//! reach the gateway: each operation is one pass through the pipeline.

use std::sync::Arc;

use async_graphql::{BatchRequest, BatchResponse, Data, Executor, Request, Response};
use futures::stream::BoxStream;
use futures::StreamExt;

use super::{Caller, Door};
use crate::graphql::gateway::Gateway;

/// The gateway as seen through one streaming door by one caller: what async-graphql's
/// WebSocket transport is given, so every message it runs is admitted first.
#[derive(Clone)]
pub struct StreamDoor {
    gateway: Gateway,
    door: Door,
    caller: Caller,
}

impl StreamDoor {
    pub fn new(gateway: Gateway, door: Door, caller: Caller) -> Self {
        Self {
            gateway,
            door,
            caller,
        }
    }
}

impl Executor for StreamDoor {
    async fn execute(&self, request: Request) -> Response {
        match self.gateway.admit(self.door, &self.caller, request) {
            Ok(admitted) => self.gateway.execute(admitted).await,
            Err(refused) => refused.into_response(),
        }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        match self.gateway.admit(self.door, &self.caller, request) {
            Ok(admitted) => self.gateway.stream(admitted, session_data),
            Err(refused) => futures::stream::once(async move { refused.into_response() }).boxed(),
        }
    }
}

impl Gateway {
    /// Runs a batched POST's entries in order, each admitted on its own as `BatchEntry` from
    /// the POST's caller.
    pub async fn execute_batch(&self, batch: BatchRequest, caller: &Caller) -> BatchResponse {
        let one = |request| async {
            match self.admit(Door::BatchEntry, caller, request) {
                Ok(admitted) => self.execute(admitted).await,
                Err(refused) => refused.into_response(),
            }
        };
        match batch {
            BatchRequest::Single(request) => BatchResponse::Single(one(request).await),
            BatchRequest::Batch(requests) => {
                let mut responses = Vec::with_capacity(requests.len());
                for request in requests {
                    responses.push(one(request).await);
                }
                BatchResponse::Batch(responses)
            }
        }
    }
}
