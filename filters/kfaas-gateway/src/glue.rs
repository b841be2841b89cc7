//! proxy-wasm glue of kfaas-gateway: one root context configures the three
//! filters' `stage`s from their sections, and each request runs them in the
//! manifests' order — jwt-auth, grey-chain's lane, faas-router — stopping at
//! the first that answers (a refusal sent, or a request waiting for keys).
//! A request that waited for keys runs the later stages when jwt-auth
//! resumes it (`jwt_auth::stage::Next`).

use crate::config::{self, Config};
use filters_common::host::{install_panic_hook, read_configuration};
use jwt_auth::stage::Filter as JwtAuth;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};
use std::cell::RefCell;
use std::rc::Rc;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    install_panic_hook("kfaas-gateway");
    proxy_wasm::set_root_context(|id| -> Box<dyn RootContext> { Box::new(Root::new(id)) });
}}

/// The stages after jwt-auth, as configured now.
#[derive(Default, Clone)]
struct Later {
    grey_chain: Option<Rc<grey_chain::stage::State>>,
    faas_router: Option<Rc<faas_router::stage::State>>,
}

impl Later {
    /// grey-chain then faas-router on the effective stream; `Pause` once a
    /// stage has answered the request.
    fn run(&self) -> Action {
        if let Some(grey) = &self.grey_chain {
            if grey.on_request() != Action::Continue {
                return Action::Pause;
            }
        }
        match &self.faas_router {
            Some(faas) => faas.on_request(),
            None => Action::Continue,
        }
    }
}

struct Root {
    jwt_auth: JwtAuth,
    /// Whether the configuration has a `jwtAuth` section.
    jwt_on: bool,
    later: Rc<RefCell<Later>>,
}

impl Root {
    fn new(id: u32) -> Self {
        let later = Rc::new(RefCell::new(Later::default()));
        let next = {
            let later = later.clone();
            Rc::new(move || current(&later).run()) as jwt_auth::stage::Next
        };
        Root {
            jwt_auth: JwtAuth::new(id, Some(next)),
            jwt_on: false,
            later,
        }
    }
}

/// The stages configured now (a copy of their handles: a stage never holds
/// a borrow while it runs).
fn current(later: &RefCell<Later>) -> Later {
    later.try_borrow().map(|l| l.clone()).unwrap_or_default()
}

impl Context for Root {
    fn on_http_call_response(
        &mut self,
        token: u32,
        num_headers: usize,
        body_size: usize,
        _: usize,
    ) {
        self.jwt_auth
            .on_http_call_response(token, num_headers, body_size);
    }
}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        let start = self.get_current_time();
        let Some(Config {
            jwt_auth,
            grey_chain,
            faas_router,
        }) = read_configuration("kfaas-gateway", config::parse)
        else {
            return false;
        };
        let jwt_on = jwt_auth.is_some();
        let micros = self
            .get_current_time()
            .duration_since(start)
            .map_or(0, |d| d.as_micros());
        let new = Later {
            grey_chain: grey_chain.map(|c| Rc::new(grey_chain::stage::State::new(c))),
            faas_router: faas_router.map(|c| Rc::new(faas_router::stage::State::new(c, micros))),
        };
        let Ok(mut later) = self.later.try_borrow_mut() else {
            return false;
        };
        // Set first: requests that waited for keys are answered by the new
        // configuration, later stages included.
        let old = std::mem::replace(&mut *later, new);
        drop(later);
        if let Some(jwt) = jwt_auth {
            if !self.jwt_auth.configure(jwt) {
                if let Ok(mut later) = self.later.try_borrow_mut() {
                    *later = old;
                }
                return false;
            }
        } else if self.jwt_on {
            self.jwt_auth.unconfigure();
        }
        self.jwt_on = jwt_on;
        true
    }

    /// Ticks only while a `jwtAuth` section is configured (jwt-auth sets the
    /// period, and stops it when the section is removed).
    fn on_tick(&mut self) {
        self.jwt_auth.on_tick();
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Stream {
            id: context_id,
            jwt_auth: self.jwt_on.then(|| self.jwt_auth.clone()),
            later: self.later.clone(),
        }))
    }
}

struct Stream {
    id: u32,
    /// `None`: no `jwtAuth` section.
    jwt_auth: Option<JwtAuth>,
    later: Rc<RefCell<Later>>,
}

impl Context for Stream {
    fn on_done(&mut self) -> bool {
        if let Some(jwt) = &self.jwt_auth {
            jwt.on_done(self.id);
        }
        true
    }
}

impl HttpContext for Stream {
    fn on_http_request_headers(&mut self, _: usize, _: bool) -> Action {
        if let Some(jwt) = &self.jwt_auth {
            if jwt.on_request(self.id) != Action::Continue {
                return Action::Pause;
            }
        }
        current(&self.later).run()
    }
}
