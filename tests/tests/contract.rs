//! The IPC contract, read from both sides' sources: every command the UI invokes is registered
//! in the shell's `generate_handler!` list, with the argument names the Rust function takes
//! (camelCase, as Tauri maps them), and every registered command is used by the UI.
//!
//! Both lists are read from the source files themselves (not from a copy written for the test),
//! so renaming a command or an argument on one side only fails here, before the window would
//! answer "command not found" or "missing required key" at run time.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("list {}: {e}", dir.display())).flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The text between the bracket at `open` and its match (same kind), exclusive.
fn balanced(text: &str, open: usize) -> &str {
    let bytes = text.as_bytes();
    let (o, c) = match bytes[open] {
        b'(' => (b'(', b')'),
        b'[' => (b'[', b']'),
        b'{' => (b'{', b'}'),
        other => panic!("not a bracket: {}", other as char),
    };
    let mut depth = 0;
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        if b == o {
            depth += 1;
        } else if b == c {
            depth -= 1;
            if depth == 0 {
                return &text[open + 1..i];
            }
        }
    }
    panic!("unbalanced {} at byte {open}", o as char)
}

/// Splits on commas outside of `<>`, `()`, `[]` and `{}`.
fn split_top(list: &str) -> Vec<String> {
    let (mut parts, mut cur, mut depth) = (Vec::new(), String::new(), 0i32);
    for ch in list.chars() {
        match ch {
            '<' | '(' | '[' | '{' => depth += 1,
            '>' | ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    parts.push(cur);
    parts.into_iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

fn without_line_comments(text: &str) -> String {
    text.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for ch in snake.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// A command's arguments as the UI must name them: name → required.
type Args = BTreeMap<String, bool>;

/// Every command in the shell's `generate_handler!` list, with its arguments.
fn rust_commands() -> BTreeMap<String, Args> {
    let src = root().join("src-tauri").join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let texts: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|f| {
            let t = std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("read {}: {e}", f.display()));
            (f, without_line_comments(&t))
        })
        .collect();
    let lists: Vec<&str> = texts
        .iter()
        .filter_map(|(_, t)| t.find("generate_handler![").map(|at| balanced(t, at + "generate_handler!".len())))
        .collect();
    assert_eq!(lists.len(), 1, "expected one generate_handler! list in src-tauri/src");
    let mut commands = BTreeMap::new();
    for path in split_top(lists[0]) {
        let name = path.rsplit("::").next().expect("a name").trim().to_string();
        let args = rust_args(&texts, &name);
        assert!(commands.insert(name.clone(), args).is_none(), "{name} is registered twice");
    }
    assert!(commands.len() > 10, "only {} commands found: is the handler list still parsed right?", commands.len());
    commands
}

/// The arguments of the `#[tauri::command]` function `name`, minus what Tauri injects.
fn rust_args(texts: &[(PathBuf, String)], name: &str) -> Args {
    for (file, text) in texts {
        let mut from = 0;
        while let Some(rel) = text[from..].find("#[tauri::command") {
            let attr_at = from + rel;
            from = attr_at + 1;
            let attr_end = attr_at + text[attr_at..].find(']').expect("attribute end");
            let attr = &text[attr_at..attr_end];
            let rest = &text[attr_end..];
            let Some(fn_at) = rest.find("fn ") else { continue };
            let after = &rest[fn_at + 3..];
            let ident: String = after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if ident != name {
                continue;
            }
            let open = attr_end + fn_at + 3 + after.find('(').expect("parameter list");
            let snake = attr.contains("rename_all") && attr.contains("snake_case");
            let mut args = Args::new();
            for param in split_top(balanced(text, open)) {
                let (pname, ty) = param.split_once(':').unwrap_or_else(|| panic!("{name}: parameter {param:?}"));
                let (pname, ty) = (pname.trim().trim_start_matches("mut ").trim(), ty.trim());
                let injected = ["State<", "tauri::State<", "AppHandle", "tauri::AppHandle", "Window", "WebviewWindow"]
                    .iter()
                    .any(|p| ty.starts_with(p));
                if injected {
                    continue;
                }
                let key = if snake { pname.to_string() } else { camel(pname) };
                args.insert(key, !ty.starts_with("Option<"));
            }
            return args;
        }
        let _ = file;
    }
    panic!("{name} is in generate_handler! but no #[tauri::command] fn {name} was found in src-tauri/src")
}

/// One invocation in the UI: the command, and the argument names when they are an object literal.
#[derive(Debug)]
struct Invocation {
    file: String,
    command: String,
    keys: Option<BTreeSet<String>>,
}

fn ui_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("list {}: {e}", dir.display())).flatten() {
        let p = entry.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if p.is_dir() {
            if name != "test" && name != "node_modules" {
                ui_files(&p, out);
            }
        } else if (name.ends_with(".ts") || name.ends_with(".tsx")) && !name.contains(".test.") {
            out.push(p);
        }
    }
}

/// Every `call("cmd", …)`, `invoke("cmd", …)` or `TAURI_INVOKE("cmd", …)` in the UI's sources.
fn ui_invocations() -> Vec<Invocation> {
    let src = root().join("ui").join("src");
    let mut files = Vec::new();
    ui_files(&src, &mut files);
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
        let rel = file.strip_prefix(root()).unwrap_or(&file).display().to_string();
        for caller in ["call(", "invoke(", "Invoke(", "TAURI_INVOKE("] {
            let mut from = 0;
            while let Some(at) = text[from..].find(caller) {
                let start = from + at;
                from = start + caller.len();
                let before = text[..start].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') && caller != "Invoke(" {
                    continue; // part of another name, or a method
                }
                let rest = text[from..].trim_start();
                let Some(quoted) = rest.strip_prefix('"').or_else(|| rest.strip_prefix('\'')) else { continue };
                let command: String =
                    quoted.chars().take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_').collect();
                let after = &quoted[command.len()..];
                if command.is_empty() || !(after.starts_with('"') || after.starts_with('\'')) {
                    continue;
                }
                let after = after[1..].trim_start();
                let object = after.strip_prefix(',').map(str::trim_start).filter(|a| a.starts_with('{'));
                let keys = if after.starts_with(')') {
                    Some(BTreeSet::new())
                } else {
                    // `None`: arguments built elsewhere, so only the name is checked.
                    object.map(|obj| {
                        split_top(balanced(obj, 0))
                            .iter()
                            .map(|entry| entry.split(':').next().unwrap_or_default().trim().to_string())
                            .collect()
                    })
                };
                found.push(Invocation { file: rel.clone(), command, keys });
            }
        }
    }
    assert!(found.len() > 10, "only {} invocations found in ui/src: is the client still parsed right?", found.len());
    found
}

#[test]
fn the_ui_invokes_exactly_the_registered_commands_with_their_argument_names() {
    let rust = rust_commands();
    let ui = ui_invocations();
    let mut problems = Vec::new();
    for inv in &ui {
        let Some(args) = rust.get(&inv.command) else {
            problems.push(format!("{}: invokes {:?}, which the shell does not register", inv.file, inv.command));
            continue;
        };
        let Some(keys) = &inv.keys else { continue };
        for key in keys {
            if !args.contains_key(key) {
                problems.push(format!(
                    "{}: {} is passed {key:?}, but the Rust command takes {:?}",
                    inv.file,
                    inv.command,
                    args.keys().collect::<Vec<_>>()
                ));
            }
        }
        for (arg, required) in args {
            if *required && !keys.contains(arg) {
                problems.push(format!("{}: {} is not passed its required argument {arg:?}", inv.file, inv.command));
            }
        }
    }
    let used: BTreeSet<&str> = ui.iter().map(|i| i.command.as_str()).collect();
    for name in rust.keys() {
        if !used.contains(name.as_str()) {
            problems.push(format!("the shell registers {name:?}, but nothing in ui/src invokes it"));
        }
    }
    assert!(problems.is_empty(), "the UI and the shell disagree:\n{}", problems.join("\n"));
}

#[test]
fn the_parsers_see_arguments_the_way_tauri_names_them() {
    assert_eq!(camel("failed_only"), "failedOnly");
    assert_eq!(
        split_top("a: State<'_, X>, b: Option<Vec<(i64, u8)>>"),
        ["a: State<'_, X>", "b: Option<Vec<(i64, u8)>>"]
    );
    let rust = rust_commands();
    assert_eq!(rust["list_deliveries"], Args::from([("failedOnly".to_string(), true)]));
    assert_eq!(rust["search_calls"], Args::from([("query".to_string(), true), ("limit".to_string(), false)]));
    assert_eq!(rust["get_status"], Args::new());
}

/// The names `export type X` declares in a TypeScript file.
fn declared_types(ts: &str) -> BTreeSet<String> {
    ts.lines()
        .filter_map(|l| {
            l.trim_start().strip_prefix("export type ").or_else(|| l.trim_start().strip_prefix("export interface "))
        })
        .filter_map(|l| l.split(|c: char| !(c.is_alphanumeric() || c == '_')).next())
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect()
}

/// The generated bindings are the one source of the UI's contract types: `types.ts` re-exports
/// them (under the names the UI uses) and declares only what exists on the UI side alone, so a
/// type written by hand can no longer drift from the Rust one. (That the generated file matches
/// the Rust types is `postcall-core`'s `export_bindings` test, run by `make lint`.)
#[test]
fn the_ui_types_are_the_generated_ones() {
    let api = root().join("ui").join("src").join("api");
    let read = |p: PathBuf| std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
    let generated = read(api.join("generated").join("bindings.ts"));
    assert!(
        generated.starts_with("// Generated from the Rust types"),
        "bindings.ts lost its header: regenerate it with `make bindings`"
    );
    let generated_names = declared_types(&generated);
    for name in ["CallDetail", "SearchHit", "AppError", "ErrorCode", "RecordingState", "VaultStatus", "CallsChanged"] {
        assert!(generated_names.contains(name), "{name} is not generated");
    }

    let types = read(api.join("types.ts"));
    let own = declared_types(&types);
    let shadowing: Vec<&String> = own.intersection(&generated_names).collect();
    assert!(
        shadowing.is_empty(),
        "ui/src/api/types.ts declares {shadowing:?} by hand; re-export the generated type instead"
    );
    let allowed_own: BTreeSet<String> = ["Json", "SettingsInput"].map(String::from).into();
    let extra: Vec<&String> = own.difference(&allowed_own).collect();
    assert!(
        extra.is_empty(),
        "ui/src/api/types.ts declares {extra:?}: a type the back end sends belongs in Rust (postcall_core::contract), then `make bindings`"
    );

    let block =
        types.find("export type {").map(|at| balanced(&types, at + "export type ".len())).expect("a re-export block");
    for name in split_top(block) {
        assert!(generated_names.contains(&name), "types.ts re-exports {name}, which bindings.ts does not declare");
    }
}

/// Events are typed end to end: the shell emits only through `commands::emit`, which takes the
/// event's name from its payload's type (`postcall_core::contract::Event`), and the UI listens
/// through the generated `Events` map; an event name written as a string in the shell would
/// bypass both.
#[test]
fn the_shell_names_no_event_by_hand() {
    let mut files = Vec::new();
    rust_files(&root().join("src-tauri").join("src"), &mut files);
    let mut by_hand = Vec::new();
    for f in files {
        let text =
            without_line_comments(&std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("read {}: {e}", f.display())));
        for (n, line) in text.lines().enumerate() {
            let emits = line.contains(".emit(") || line.contains(".emit_to(") || line.contains(".emit_filter(");
            if emits && !line.contains(".emit(E::NAME, payload)") {
                by_hand.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(by_hand.is_empty(), "emit events with commands::emit(app, &payload) instead:\n{}", by_hand.join("\n"));
}
