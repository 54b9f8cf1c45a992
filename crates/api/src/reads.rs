//! Which read ports a request reads through: the extractor REST and OData handlers take.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use styrhub_domain::access::Actor;

use crate::app::AppState;

/// The read ports for this request's caller (see `app::Ports::reads_for`): through the read
/// replicas, or on the primary for a caller whose token has just written. Without replicas,
/// always the store's.
#[derive(Clone)]
pub struct Reads(pub crate::read::Ports);

impl std::ops::Deref for Reads {
    type Target = crate::read::Ports;

    fn deref(&self) -> &crate::read::Ports {
        &self.0
    }
}

impl FromRequestParts<AppState> for Reads {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        // The access middleware puts the actor there; a route outside it reads as anonymous.
        let actor = parts.extensions.get::<Actor>();
        Ok(Self(state.ports.reads_for(actor).clone()))
    }
}
