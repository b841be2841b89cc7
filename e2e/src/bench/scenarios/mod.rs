//! The scenario registry: one file per filter, each exporting `pub fn scenarios() -> Vec<Scenario>`.

pub mod faas_router;
pub mod grey_chain;
pub mod jwt_auth;
pub mod kfaas_gateway;

use super::Scenario;

pub fn all() -> Vec<Scenario> {
    let mut all = jwt_auth::scenarios();
    all.extend(faas_router::scenarios());
    all.extend(grey_chain::scenarios());
    all.extend(kfaas_gateway::scenarios());
    all
}
