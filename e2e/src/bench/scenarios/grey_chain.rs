//! grey-chain benchmarks: the gateway's lane decision and one sidecar hop in
//! each direction, against no filter and against an Envoy Lua filter making
//! the same header decision. Every variant routes on `x-grey` to a 200
//! `direct_response`, so the decision is on the measured path.

use crate::bench::{Kind, Scenario, Variant};
use crate::{Direction, EnvoyConfig, WasmFilter};
use serde_json::{json, Value};

/// The gateway's rules: header `end-user: test`, cookie `lane=grey`, 30% by a
/// hash of header `hash_by` (`x-user` here; `x-jwt-sub` behind jwt-auth).
pub fn gateway_config(hash_by: &str) -> String {
    json!({"mode": "gateway", "lanes": ["grey"], "gateway": {"rules": [
        {"lane": "grey", "match": {"header": {"name": "end-user", "exact": "test"}}},
        {"lane": "grey", "match": {"cookie": {"name": "lane", "exact": "grey"}}},
        {"lane": "grey", "percentage": 30, "hashBy": {"header": hash_by}}]}})
    .to_string()
}

const HASH_BY: &str = "x-user";

const SIDECAR_CONFIG: &str = r#"{"mode":"sidecar","lanes":["grey"],
  "sidecar":{"podLabel":{"key":"type","value":"grey"},"correlation":{"ttlSeconds":60,"maxEntries":50000}}}"#;

/// The same with the listener direction pinned (a WasmPlugin per direction):
/// no `xds.listener_direction` read per request.
const SIDECAR_INBOUND_PINNED: &str = r#"{"mode":"sidecar","lanes":["grey"],
  "sidecar":{"direction":"inbound","podLabel":{"key":"type","value":"grey"},"correlation":{"ttlSeconds":60,"maxEntries":50000}}}"#;
const SIDECAR_OUTBOUND_PINNED: &str = r#"{"mode":"sidecar","lanes":["grey"],
  "sidecar":{"direction":"outbound","podLabel":{"key":"type","value":"grey"},"correlation":{"ttlSeconds":60,"maxEntries":50000}}}"#;

/// The status of the normal lane's route (the grey one answers 200), so the
/// bench's one-request check of each variant shows which lane Envoy routed to:
/// on the outbound listener of a grey pod, the filters must have set the tag.
const NORMAL: u16 = 203;

/// Routes on the tag, like the VirtualServices the manifests generate.
fn lane_routes() -> Value {
    json!({"name": "local", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [
        {"match": {"prefix": "/", "headers": [{"name": "x-grey", "string_match": {"exact": "grey"}}]},
         "direct_response": {"status": 200, "body": {"inline_string": "grey"}}},
        {"match": {"prefix": "/"}, "direct_response": {"status": NORMAL, "body": {"inline_string": "normal"}}}
    ]}]})
}

fn envoy(direction: Option<Direction>) -> EnvoyConfig {
    let cfg = EnvoyConfig::new()
        .routes(lane_routes())
        .node_metadata(json!({"LABELS": {"type": "grey"}}));
    match direction {
        Some(d) => cfg.direction(d),
        None => cfg,
    }
}

fn wasm(config: &str, direction: Option<Direction>) -> Variant {
    let name = match direction {
        None => "grey-chain (wasm)",
        // One WasmPlugin on both listeners: the direction is read per request.
        Some(_) => "grey-chain, one plugin for both directions (wasm)",
    };
    wasm_module(name, crate::dist("grey_chain"), config, direction)
}

/// What the manifests deploy: one WasmPlugin per direction, each pinned.
fn pinned(config: &'static str, direction: Direction) -> Variant {
    let name = match direction {
        Direction::Inbound => "grey-chain-sidecar-inbound, `sidecar.direction: inbound` (wasm)",
        Direction::Outbound => "grey-chain-sidecar-outbound, `sidecar.direction: outbound` (wasm)",
    };
    wasm_module(name, crate::dist("grey_chain"), config, Some(direction))
}

/// Other builds of the module to measure side by side with `dist/grey_chain.wasm`
/// (before/after a change): `BENCH_GREY_CHAIN_MODULES="label=path.wasm,…"`. In
/// the sidecar scenarios they run with the direction pinned, as deployed.
fn extra_modules() -> Vec<(String, std::path::PathBuf)> {
    crate::bench::extra_modules("BENCH_GREY_CHAIN_MODULES")
}

fn with_extra_modules(
    mut s: Scenario,
    config: &str,
    direction: Option<Direction>,
    lua: &str,
    status: u16,
) -> Scenario {
    for (label, path) in extra_modules() {
        let name = format!("grey-chain {label} (wasm)");
        s = s.variant(
            wasm_module(&name, path, config, direction)
                .lua(lua)
                .expect_status(status),
        );
    }
    s
}

fn wasm_module(
    name: &str,
    module: std::path::PathBuf,
    config: &str,
    direction: Option<Direction>,
) -> Variant {
    let config = config.to_owned();
    Variant::new(Kind::Wasm, name, move || {
        let f = WasmFilter::new("grey-chain", "istio-system", &module).config_json(config.clone());
        envoy(direction).filter(f)
    })
}

fn lua(code: &str, direction: Option<Direction>) -> Variant {
    let filter = lua_filter(code);
    Variant::new(Kind::Native, "Lua filter", move || {
        envoy(direction).native_filter(filter.clone())
    })
}

/// Envoy's Lua HTTP filter running `code`.
pub fn lua_filter(code: &str) -> Value {
    json!({
        "name": "envoy.filters.http.lua",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
            "default_source_code": {"inline_string": code}
        }
    })
}

/// What any proxy-wasm filter costs on this listener (see `Variant::wasm_floor`).
fn floor(direction: Option<Direction>) -> Variant {
    Variant::wasm_floor_with(move || envoy(direction))
}

fn baseline(direction: Option<Direction>) -> Variant {
    Variant::new(Kind::Baseline, "no filter", move || envoy(direction))
}

/// The gateway's decision in Lua: strip the client's tag, header rule, cookie
/// rule, a 30% share by a string hash of header `hash_by`, then tag + baggage.
pub fn lua_gateway(hash_by: &str) -> String {
    LUA_GATEWAY.replace("HASH_BY", hash_by)
}

const LUA_GATEWAY: &str = r#"
function envoy_on_request(h)
  local hd = h:headers()
  hd:remove("x-grey")
  local grey = hd:get("end-user") == "test"
  if not grey then
    local c = hd:get("cookie")
    grey = c ~= nil and string.find(c, "lane=grey", 1, true) ~= nil
  end
  if not grey then
    local u = hd:get("HASH_BY")
    if u ~= nil and u ~= "" then
      local x = 5381
      for i = 1, #u do x = (x * 33 + string.byte(u, i)) % 4294967296 end
      grey = x % 10000 < 3000
    end
  end
  if grey then
    hd:replace("x-grey", "grey")
    local b = hd:get("baggage")
    if b == nil then hd:replace("baggage", "lane=grey") else hd:replace("baggage", b .. ",lane=grey") end
    h:clearRouteCache()
  end
end
"#;

/// The inbound hop in Lua: remember trace id → lane in a bounded per-worker table.
const LUA_INBOUND: &str = r#"
slots = slots or {}
function envoy_on_request(h)
  local hd = h:headers()
  local lane = hd:get("x-grey")
  local tp = hd:get("traceparent")
  if lane == nil or tp == nil then return end
  local id = string.sub(tp, 4, 35)
  local x = 5381
  for i = 1, #id do x = (x * 33 + string.byte(id, i)) % 4294967296 end
  slots[x % 50000] = id .. "," .. (os.time() + 60) .. "," .. lane
end
"#;

/// The outbound hop in Lua: keep a tag, else look the trace up, else the pod's lane.
const LUA_OUTBOUND: &str = r#"
slots = slots or {}
function envoy_on_request(h)
  local hd = h:headers()
  if hd:get("x-grey") == "grey" then return end
  local lane = nil
  local tp = hd:get("traceparent")
  if tp ~= nil then
    local id = string.sub(tp, 4, 35)
    local x = 5381
    for i = 1, #id do x = (x * 33 + string.byte(id, i)) % 4294967296 end
    local e = slots[x % 50000]
    if e ~= nil and string.sub(e, 1, 32) == id then lane = "grey" end
  end
  if lane == nil then lane = "grey" end
  hd:replace("x-grey", lane)
  local b = hd:get("baggage")
  if b == nil then hd:replace("baggage", "lane=" .. lane) else hd:replace("baggage", b .. ",lane=" .. lane) end
  h:clearRouteCache()
end
"#;

/// wrk: a different user per request, every 10th `end-user: test`, every 7th
/// with a spoofed tag.
const WRK_USERS: &str = r#"
local n = 0
request = function()
  n = n + 1
  local h = {["x-user"] = "user-" .. n}
  if n % 10 == 0 then h["end-user"] = "test" end
  if n % 7 == 0 then h["x-grey"] = "grey" end
  return wrk.format("GET", "/", h)
end
"#;

/// wrk: a fresh W3C trace id per request (`extra` adds headers).
fn wrk_traces(extra: &str) -> String {
    format!(
        r#"
local n = 0
local p = 0
init = function(args) math.randomseed(os.time()); p = math.random(1, 2147483647) end
request = function()
  n = n + 1
  local h = {{["traceparent"] = string.format("00-%08x%08x%016x-00f067aa0ba902b7-01", p, n % 2147483647, 1)}}
  {extra}
  return wrk.format("GET", "/", h)
end
"#
    )
}

pub fn scenarios() -> Vec<Scenario> {
    let users = WRK_USERS;
    let gateway = gateway_config(HASH_BY);
    let lua_decision = lua_gateway(HASH_BY);
    let inbound = wrk_traces(r#"h["x-grey"] = "grey""#);
    let outbound = wrk_traces("");
    vec![
        with_extra_modules(Scenario::new("grey-chain", "gateway: decide the lane")
            .notes("Ingress gateway: strip a client-sent tag, rules header exact / cookie / 30% by `x-user` hash, then set `x-grey` and the baggage member and re-select the route. wrk sends a new user per request, every 10th `end-user: test`, every 7th a spoofed `x-grey`. The Lua peer makes the same decisions (its baggage handling only appends). The wasm floor is the same module with no rules: the fixed cost of a proxy-wasm filter in this Envoy.")
            .variant(baseline(None).lua(users).expect_status(NORMAL))
            .variant(lua(&lua_decision, None).lua(users).expect_status(NORMAL))
            .variant(wasm(&gateway, None).lua(users).expect_status(NORMAL))
            .variant(floor(None).lua(users).expect_status(NORMAL)), &gateway, None, users, NORMAL),
        with_extra_modules(Scenario::new("grey-chain", "sidecar inbound: remember the lane")
            .notes("Inbound listener: every request carries `x-grey: grey` and a new trace id, so every request writes the correlation table (shared data, CAS). The Lua peer writes a bounded per-worker Lua table (it cannot share with the outbound listener). `grey-chain-sidecar-inbound` is what the manifests deploy on the inbound listener: a WasmPlugin matching SERVER with `sidecar.direction: inbound` (no listener-direction property read per request); \"one plugin for both directions\" is a single CLIENT_AND_SERVER plugin, which reads it on every request. The wasm floor is the module in gateway mode with no rules.")
            .variant(baseline(Some(Direction::Inbound)).lua(&inbound).expect_status(NORMAL))
            .variant(lua(LUA_INBOUND, Some(Direction::Inbound)).lua(&inbound).expect_status(NORMAL))
            .variant(wasm(SIDECAR_CONFIG, Some(Direction::Inbound)).lua(&inbound).expect_status(NORMAL))
            .variant(pinned(SIDECAR_INBOUND_PINNED, Direction::Inbound).lua(&inbound).expect_status(NORMAL))
            .variant(floor(Some(Direction::Inbound)).lua(&inbound).expect_status(NORMAL)), SIDECAR_INBOUND_PINNED, Some(Direction::Inbound), &inbound, NORMAL),
        with_extra_modules(Scenario::new("grey-chain", "sidecar outbound: restore the lane")
            .notes("Outbound listener of a pod labelled `type: grey`: each request has a new trace id, so the table lookup misses and the pod's lane is set (tag + baggage + route re-selection): the full outbound path. `grey-chain-sidecar-outbound` is what the manifests deploy on the outbound listeners (CLIENT, `sidecar.direction: outbound`); \"one plugin for both directions\" reads the listener direction on every request.")
            .variant(baseline(Some(Direction::Outbound)).lua(&outbound).expect_status(NORMAL))
            .variant(lua(LUA_OUTBOUND, Some(Direction::Outbound)).lua(&outbound))
            .variant(wasm(SIDECAR_CONFIG, Some(Direction::Outbound)).lua(&outbound))
            .variant(pinned(SIDECAR_OUTBOUND_PINNED, Direction::Outbound).lua(&outbound))
            .variant(floor(Some(Direction::Outbound)).lua(&outbound).expect_status(NORMAL)), SIDECAR_OUTBOUND_PINNED, Some(Direction::Outbound), &outbound, 200),
    ]
}
