//! proxy-wasm glue of grey-chain: reads the configuration and runs `stage`
//! on every request. Nothing here decides anything.

use crate::config;
use crate::stage::State;
use filters_common::host::read_configuration;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};
use std::rc::Rc;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    filters_common::host::install_panic_hook("grey-chain");
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root { state: None }) });
}}

struct Root {
    state: Option<Rc<State>>,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        let Some(cfg) = read_configuration("grey-chain", config::parse) else {
            return false;
        };
        self.state = Some(Rc::new(State::new(cfg)));
        true
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Stream {
            state: self.state.clone(),
        }))
    }
}

struct Stream {
    state: Option<Rc<State>>,
}

impl Context for Stream {}

impl HttpContext for Stream {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        match &self.state {
            Some(s) => s.on_request(),
            None => Action::Continue,
        }
    }
}
