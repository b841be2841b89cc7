//! proxy-wasm glue of jwt-auth: the root and stream contexts hand every
//! callback to `stage::Filter` (the engine, the JWKS fetches, the requests
//! waiting for keys).

use crate::config;
use crate::stage::Filter;
use filters_common::host::{install_panic_hook, read_configuration};
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    install_panic_hook("jwt-auth");
    proxy_wasm::set_root_context(|id| -> Box<dyn RootContext> {
        Box::new(Root { filter: Filter::new(id, None) })
    });
}}

struct Root {
    filter: Filter,
}

impl Context for Root {
    fn on_http_call_response(
        &mut self,
        token: u32,
        num_headers: usize,
        body_size: usize,
        _: usize,
    ) {
        self.filter
            .on_http_call_response(token, num_headers, body_size);
    }
}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        match read_configuration("jwt-auth", config::parse) {
            Some(config) => self.filter.configure(config),
            None => false,
        }
    }

    fn on_tick(&mut self) {
        self.filter.on_tick();
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Stream {
            id: context_id,
            filter: self.filter.clone(),
        }))
    }
}

struct Stream {
    id: u32,
    filter: Filter,
}

impl Context for Stream {
    fn on_done(&mut self) -> bool {
        self.filter.on_done(self.id);
        true
    }
}

impl HttpContext for Stream {
    fn on_http_request_headers(&mut self, _: usize, _: bool) -> Action {
        self.filter.on_request(self.id)
    }
}
