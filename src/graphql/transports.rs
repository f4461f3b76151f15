//! How async-graphql's transports reach the gateway: WebSocket and SSE subscriptions (its
//! `Executor`) and batches of operations.

use std::sync::Arc;

use async_graphql::{BatchRequest, BatchResponse, Data, Executor, Request, Response};
use futures::stream::BoxStream;
use futures::StreamExt;

use super::gateway::Gateway;
use crate::views::reads::RecordingReader;

impl Gateway {
    pub async fn execute_batch(&self, batch: BatchRequest) -> BatchResponse {
        match batch {
            BatchRequest::Single(request) => BatchResponse::Single(self.execute(request).await),
            BatchRequest::Batch(requests) => {
                let mut responses = Vec::with_capacity(requests.len());
                for request in requests {
                    responses.push(self.execute(request).await);
                }
                BatchResponse::Batch(responses)
            }
        }
    }
}

/// Lets async-graphql's WebSocket and SSE transports run requests through the gateway.
impl Executor for Gateway {
    async fn execute(&self, request: Request) -> Response {
        Gateway::execute(self, request).await
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        // A subscription lives long: its reads are not logged (nothing would check them).
        let reader = Arc::new(RecordingReader::unlogged(Arc::clone(&self.catalog)));
        // Every operation over WebSocket or SSE comes here: trusted documents apply to them all.
        let prepared = self
            .resolve_persisted(request)
            .map_err(|error| error.to_server_error())
            .and_then(|request| self.parse(&request).map(|parsed| (request, parsed)))
            .and_then(|(request, parsed)| self.with_document(request, &parsed));
        let request = match prepared {
            Ok(request) => request.data(reader),
            Err(error) => {
                return futures::stream::once(async move { Response::from_errors(vec![error]) })
                    .boxed()
            }
        };
        let gateway = self.clone();
        self.schema()
            .execute_stream_with_session_data(request, session_data.unwrap_or_default())
            .map(move |response| gateway.with_codes(response))
            .boxed()
    }
}
