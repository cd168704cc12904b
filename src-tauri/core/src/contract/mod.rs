//! The IPC contract between the window's shell and its UI, with Rust as the one source.
//!
//! Every type a command takes or returns, and every event payload, derives [`ts_rs::TS`]; the
//! TypeScript the UI compiles against (`ui/src/api/generated/bindings.ts`) is generated from them
//! by [`bindings`], never written by hand. The test `export_bindings` fails when the checked-in
//! file differs from what the Rust types say (`make bindings` rewrites it), so a field renamed or
//! a state added on one side breaks the build instead of the window.
//!
//! The payloads the shell alone builds (events, a few command results) live in [`shell`] so that
//! they are generated without compiling the shell; the error shape every command rejects with is
//! in [`error`]; which payload goes with which event name, in [`events`].

pub mod detail;
pub mod error;
pub mod events;
pub mod shell;

use std::collections::BTreeMap;

use ts_rs::{Config, TypeVisitor, TS};

/// The closed sets of names (states, kinds) the UI switches on.
pub use crate::store::names;
pub use detail::{CallDetail, Recording};
pub use error::{AppError, ErrorCode};
pub use events::Event;

/// Where the generated file is, from the workspace root.
pub const BINDINGS_PATH: &str = "ui/src/api/generated/bindings.ts";

const HEADER: &str = "\
// Generated from the Rust types (postcall_core::contract::bindings); do not edit by hand.
// Regenerate with `make bindings`; `make lint` fails when this file is stale.

/** Any JSON value (payload fields kept as they came). */
export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;
";

/// Collects every named type reachable from the roots, by TypeScript name.
struct Collect<'a> {
    cfg: &'a Config,
    decls: BTreeMap<String, (&'static str, String)>,
}

impl TypeVisitor for Collect<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if T::output_path().is_none() {
            // A primitive, a container or a wrapper: only its parameters can be named types
            // (its own dependencies would lead back into recursive types such as JSON values).
            T::visit_generics(self);
            return;
        }
        let name = T::ident(self.cfg);
        if name == "JsonValue" {
            return; // declared once in the header
        }
        let rust = std::any::type_name::<T>();
        if let Some((seen, _)) = self.decls.get(&name) {
            assert_eq!(
                *seen, rust,
                "two Rust types are both called {name} in TypeScript: rename one with #[ts(rename)]"
            );
            return;
        }
        let mut decl = T::docs().unwrap_or_default();
        decl.push_str("export ");
        decl.push_str(&T::decl(self.cfg));
        self.decls.insert(name, (rust, decl));
        T::visit_dependencies(self);
    }
}

/// The command and event types the UI uses, and through them everything they contain.
fn roots(c: &mut Collect) {
    use crate::{backfill, config, insights, query, recordings, review, search, service, tunnel};
    c.visit::<AppError>();
    c.visit::<shell::Startup>();
    c.visit::<service::AppStatus>();
    c.visit::<query::CallQuery>();
    c.visit::<query::CallPage>();
    c.visit::<query::Facets>();
    c.visit::<CallDetail>();
    c.visit::<crate::store::deliveries::Delivery>();
    c.visit::<crate::store::deliveries::DeliveryHead>();
    c.visit::<search::SearchHit>();
    c.visit::<shell::PaintedHit>();
    c.visit::<crate::store::deliveries::Delivery>();
    c.visit::<crate::store::deliveries::DeliveryHead>();
    c.visit::<shell::ReprocessResult>();
    c.visit::<config::Settings>();
    c.visit::<shell::CallsChanged>();
    c.visit::<shell::SyncSettings>();
    c.visit::<shell::SyncStatus>();
    c.visit::<backfill::Progress>();
    c.visit::<backfill::SyncReport>();
    c.visit::<tunnel::TunnelConfig>();
    c.visit::<tunnel::TunnelState>();
    c.visit::<tunnel::TunnelStatus>();
    c.visit::<shell::TunnelOverview>();
    c.visit::<shell::Peaks>();
    c.visit::<recordings::vault::Progress>();
    c.visit::<recordings::Status>();
    c.visit::<recordings::PruneReport>();
    c.visit::<review::Reviewer>();
    c.visit::<review::CallReview>();
    c.visit::<review::TagDef>();
    c.visit::<review::Scorecard>();
    c.visit::<review::Score>();
    c.visit::<review::ops::ReviewProgress>();
    c.visit::<review::ops::VariableName>();
    c.visit::<shell::ReviewChanged>();
    c.visit::<shell::OpenCallLink>();
    c.visit::<insights::stats::StatsQuery>();
    c.visit::<insights::stats::Stats>();
    c.visit::<insights::drift::Drift>();
    c.visit::<crate::team::status::TeamStatus>();
    c.visit::<crate::team::panel::JoinInput>();
    events::visit(c);
}

/// The whole of `ui/src/api/generated/bindings.ts`, in a stable order (by name).
pub fn bindings() -> String {
    // i64 fields hold ids, counts and Unix milliseconds, all within 2^53: numbers, not bigints.
    let cfg = Config::new().with_large_int("number");
    let mut c = Collect { cfg: &cfg, decls: BTreeMap::new() };
    roots(&mut c);
    let mut out = String::from(HEADER);
    for (_, decl) in c.decls.values() {
        out.push('\n');
        out.push_str(decl);
        out.push('\n');
    }
    out.push_str("\n/** Every event the shell emits, by name, with its payload. */\nexport type Events = {\n");
    for (name, payload) in events::table(&cfg) {
        out.push_str(&format!("  \"{name}\": {payload};\n"));
    }
    out.push_str("};\n");
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    /// Fails when the checked-in bindings differ from the Rust types; with
    /// `POSTCALL_WRITE_BINDINGS=1` (what `make bindings` sets) it rewrites them instead.
    #[test]
    fn export_bindings() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(super::BINDINGS_PATH);
        let fresh = super::bindings();
        if std::env::var_os("POSTCALL_WRITE_BINDINGS").is_some_and(|v| v == "1") {
            std::fs::create_dir_all(path.parent().expect("a folder")).expect("create the bindings folder");
            std::fs::write(&path, &fresh).expect("write the bindings");
            return;
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == fresh,
            "{} is stale: the Rust contract types changed. Run `make bindings` and commit the file.",
            super::BINDINGS_PATH
        );
    }

    #[test]
    fn every_declared_name_is_unique_and_nothing_is_a_bigint() {
        let b = super::bindings();
        assert!(!b.contains("bigint"), "an integer field would reach the UI as a bigint");
        let mut names: Vec<&str> = b
            .lines()
            .filter_map(|l| l.strip_prefix("export type "))
            .filter_map(|l| l.split([' ', '<']).next())
            .collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "a TypeScript name is declared twice");
        for expected in ["CallDetail", "SearchHit", "AppError", "ErrorCode", "RecordingState", "VaultStatus"] {
            assert!(names.contains(&expected), "{expected} is not generated");
        }
    }
}
