//! The desktop window: starts the listener beside the window, forwards store events to the UI
//! as one coalesced `calls-changed` per burst, keeps running in the tray when the window closes
//! (if close-to-tray is on), and focuses the running instance on a second launch, which also
//! hands it any `postcall://` link it was started with ([`crate::link`]).

use std::process::ExitCode;
use std::sync::Arc;

use postcall_core::cli::{bind_addr, Cli};
use postcall_core::coalesce;
use postcall_core::contract::events::DeliveriesChanged;
use postcall_core::contract::shell::CallsChanged;
use postcall_core::service::Service;
use postcall_core::tunnel::{TunnelControl, TunnelState, TunnelStatus};
use postcall_core::DataDir;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, RunEvent, WindowEvent};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tauri_plugin_notification::NotificationExt;

use crate::commands::{self, AppState};
use crate::rendering;

pub fn run(cli: Cli, links: Vec<String>) -> ExitCode {
    let opened = DataDir::resolve(cli.data_dir.as_deref())
        .map_err(|e| e.to_string())
        .and_then(|data| Ok((bind_addr(cli.bind.as_deref(), &data).map_err(|e| e.to_string())?, data)));
    let (addr, data) = match opened {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };

    rendering::choose();
    let default_folder = cli.data_dir.is_none();
    let context = tauri::generate_context!();
    // One instance per data folder: a second launch on the same folder focuses the first and
    // hands it its `postcall://` links (the deep-link feature passes them on to the plugin's
    // handler). Different folders (tests, a second profile) run side by side.
    let instance = tauri_plugin_single_instance::Builder::new()
        .callback(|app, _args, _cwd| show_main(app))
        .dbus_id(instance_id(&context.config().identifier, default_folder, data.root()))
        .build();
    let secret = cli.secret.clone();
    let app = tauri::Builder::default()
        .plugin(instance)
        .plugin(tauri_plugin_deep_link::init())
        .manage(crate::link::Links::default())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .manage(commands::startup::StartupState::default())
        .manage(commands::recordings::MediaState::default())
        .manage(commands::sync::SyncState::default())
        .manage(TunnelControl::default())
        .invoke_handler(tauri::generate_handler![
            commands::startup::get_startup,
            commands::bench::mark_first_rows,
            commands::calls::get_status,
            commands::calls::list_calls,
            commands::calls::count_calls,
            commands::calls::call_facets,
            commands::calls::search_calls,
            commands::calls::get_call,
            commands::deliveries::list_deliveries,
            commands::deliveries::reprocess_delivery,
            commands::deliveries::curl_for_delivery,
            commands::deliveries::get_delivery,
            commands::listener::send_test_call,
            commands::listener::set_listener_port,
            commands::listener::rotate_secret,
            commands::settings::get_settings,
            commands::settings::save_settings,
            commands::settings::load_view_state,
            commands::settings::save_view_state,
            commands::settings::reveal_data_dir,
            commands::sync::sync_now,
            commands::sync::cancel_sync,
            commands::sync::get_sync_status,
            commands::sync::get_sync_settings,
            commands::sync::save_sync_settings,
            commands::sync::set_api_key,
            commands::tunnel::get_tunnel_status,
            commands::tunnel::start_tunnel,
            commands::tunnel::stop_tunnel,
            commands::recordings::recording_peaks,
            commands::recordings::recording_fetch,
            commands::recordings::recording_set_offset,
            commands::recordings::recording_save,
            commands::recordings::recordings_status,
            commands::recordings::recordings_prune,
            commands::review::get_reviewer,
            commands::review::set_reviewer,
            commands::review::get_call_review,
            commands::review::set_review_state,
            commands::review::add_note,
            commands::review::edit_note,
            commands::review::delete_note,
            commands::review::add_tags,
            commands::review::remove_tags,
            commands::review::list_tags,
            commands::review::save_tag,
            commands::review::delete_tag,
            commands::review::list_scorecards,
            commands::review::save_scorecard,
            commands::review::delete_scorecard,
            commands::review::set_score,
            commands::review::prefill_score,
            commands::review::number_history,
            commands::review::review_progress,
            commands::review::next_unreviewed,
            commands::review::variable_names,
            commands::insights::get_stats,
            commands::insights::list_drift,
            commands::insights::save_export,
            crate::link::links_ready,
            commands::team::get_team_status,
            commands::team::join_team,
            commands::team::leave_team,
        ])
        .setup(move |app| {
            watch_links(app.handle(), &links, default_folder);
            // The window opens at once. Opening the data folder can take a while (a schema
            // upgrade, building the search index, re-indexing after a crash), so it happens
            // beside it, and the window shows how far along it is until the calls are ready.
            let handle = app.handle().clone();
            let progress = handle.clone();
            postcall_core::startup::observe(move |step| {
                progress.state::<commands::startup::StartupState>().step(&progress, step.clone());
            });
            std::thread::Builder::new().name("postcall-open".into()).spawn(move || {
                match Service::open(data, secret.as_deref(), None) {
                    Ok(service) => {
                        let main = handle.clone();
                        let started = handle.run_on_main_thread(move || start(&main, service, addr));
                        if let Err(e) = started {
                            tracing::error!(error = %e, "the app could not finish starting");
                        }
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        handle.state::<commands::startup::StartupState>().failed(&handle, e.to_string());
                    }
                }
            })?;
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                let Some(state) = window.try_state::<AppState>() else { return };
                let keep = state.service.data.settings().map(|s| s.close_to_tray).unwrap_or(false);
                if keep && window.app_handle().tray_by_id("main").is_some() {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .build(context);
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: the window could not be opened: {e}. Headless use: postcall serve");
            return ExitCode::FAILURE;
        }
    };
    app.run(move |app, event| {
        if let RunEvent::Exit = event {
            if let Some(state) = app.try_state::<AppState>() {
                tauri::async_runtime::block_on(state.service.shutdown());
            }
        }
    });
    ExitCode::SUCCESS
}

/// Everything that needs the opened data folder, on the main thread once it is open: the
/// commands' state, the listener, live updates, recordings, the periodic sync, the tray and the
/// saved tunnel. The window is told it can show the calls last.
fn start(app: &AppHandle, service: Arc<Service>, addr: std::net::SocketAddr) {
    app.manage(AppState { service: service.clone() });
    // A port in use is reported in the UI (with a way to pick another), never fatal.
    if let Err(e) = tauri::async_runtime::block_on(service.listen(addr)) {
        tracing::warn!(error = %e, "listener did not start");
    }
    forward_events(app.clone(), service.clone());
    // Recordings: downloaded in the background, played from a loopback-only listener.
    commands::recordings::forward_progress(app.clone(), service.vault.clone());
    tauri::async_runtime::block_on(async {
        service.start_vault();
        // Team mode: replay the joined team's calls in the background.
        if let Err(e) = commands::team::start(app, &service) {
            tracing::warn!(error = %e, "team sync did not start");
        }
        match postcall_core::media::MediaServer::start(service.store.clone(), service.vault.dir().to_path_buf()) {
            Ok(server) => {
                let _ = app.state::<commands::recordings::MediaState>().server.set(server);
            }
            Err(e) => tracing::warn!(error = %e, "no media listener; recordings play from their remote URL"),
        }
    });
    // Backfill from the calls API at start and every N minutes, when a key is set.
    let runner = app.state::<commands::sync::SyncState>().runner.clone();
    commands::sync::spawn_periodic(app.clone(), service.clone(), runner);
    if let Err(e) = build_tray(app) {
        tracing::warn!(error = %e, "no tray icon; closing the window will quit");
    }
    if service.data.settings().map(|s| s.tunnel_on_start).unwrap_or(false) {
        let handle = app.clone();
        let service = service.clone();
        tauri::async_runtime::spawn(async move {
            let control = handle.state::<TunnelControl>();
            commands::tunnel::restart_saved(&handle, &service, &control).await;
        });
    }
    app.state::<commands::startup::StartupState>().ready(app);
    crate::link::ready(app);
}

/// Links from the OS: those this process was started with, and those later launches hand over.
fn watch_links(app: &AppHandle, started_with: &[String], default_folder: bool) {
    use tauri_plugin_deep_link::DeepLinkExt;
    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            crate::link::open(&handle, url.as_str());
        }
    });
    for link in started_with {
        crate::link::open(app, link);
    }
    // The .deb registers the scheme; a copy run from elsewhere registers itself on its first run
    // on the default folder, when nothing handles `postcall:` links yet (never from a test's or
    // a second profile's folder, and never over an installed package's entry).
    #[cfg(target_os = "linux")]
    if default_folder {
        let app = app.clone();
        // Off the window's start: it runs xdg-mime and update-desktop-database.
        std::thread::spawn(move || {
            if scheme_has_handler() {
                return;
            }
            match app.deep_link().register_all() {
                Ok(()) => tracing::info!("registered postcall:// links with the desktop"),
                Err(e) => tracing::warn!(error = %e, "postcall:// links are not registered with the desktop"),
            }
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = default_folder;
}

/// Whether the desktop already names an application for `postcall:` links (`xdg-mime`).
#[cfg(target_os = "linux")]
fn scheme_has_handler() -> bool {
    std::process::Command::new("xdg-mime")
        .args(["query", "default", &format!("x-scheme-handler/{}", crate::link::SCHEME)])
        .stderr(std::process::Stdio::null())
        .output()
        .is_ok_and(|out| out.status.success() && !String::from_utf8_lossy(&out.stdout).trim().is_empty())
}

/// The D-Bus name that makes a data folder's window the only one: the app's identifier for the
/// default folder, with a hash of the folder's path for any other.
fn instance_id(identifier: &str, default_folder: bool, folder: &std::path::Path) -> String {
    use std::hash::{Hash, Hasher};
    if default_folder {
        return identifier.to_string();
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf()).hash(&mut h);
    format!("{identifier}.folder_{:016x}", h.finish())
}

pub fn show_main(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// Store events → one `calls-changed` per burst, plus `deliveries-changed` and notifications.
fn forward_events(app: AppHandle, service: Arc<Service>) {
    let mut rx = service.ingest.subscribe();
    tauri::async_runtime::spawn(async move {
        while let Some(burst) = coalesce::next_burst(&mut rx, coalesce::WINDOW).await {
            if !burst.calls.is_empty() || burst.lagged {
                let total = service.store.read(postcall_core::store::calls::count).unwrap_or(0);
                let _ = commands::emit(&app, &CallsChanged { ids: burst.calls.clone(), total });
                if !burst.calls.is_empty() {
                    notify(&app, &service, burst.calls.len());
                }
            }
            if burst.failed_deliveries || burst.lagged {
                let _ = commands::emit(&app, &DeliveriesChanged);
            }
        }
    });
}

fn notify(app: &AppHandle, service: &Service, n: usize) {
    if !service.data.settings().map(|s| s.notifications).unwrap_or(false) {
        return;
    }
    let body = if n == 1 { "A call was received.".to_string() } else { format!("{n} calls were received.") };
    if let Err(e) = app.notification().builder().title("Postcall").body(body).show() {
        tracing::debug!(error = %e, "notification not shown");
    }
}

/// The tray entries that follow the tunnel.
struct TrayTunnel {
    state: MenuItem<tauri::Wry>,
    copy_public: MenuItem<tauri::Wry>,
}

/// Shows the tunnel's state in the tray menu and enables copying its public URL once online.
pub fn show_tunnel_in_tray(app: &AppHandle, status: &TunnelStatus) {
    let Some(items) = app.try_state::<TrayTunnel>() else { return };
    let text = match &status.state {
        TunnelState::Off => "Tunnel: off".to_string(),
        TunnelState::Starting => "Tunnel: starting…".to_string(),
        TunnelState::Online { reachable: true, .. } => format!("Tunnel: online ({})", status.provider),
        TunnelState::Online { .. } => "Tunnel: online, checking…".to_string(),
        TunnelState::Reconnecting { .. } => "Tunnel: reconnecting…".to_string(),
        TunnelState::Failed { .. } => "Tunnel: failed (see Connect)".to_string(),
    };
    let _ = items.state.set_text(text);
    let _ = items.copy_public.set_enabled(matches!(status.state, TunnelState::Online { .. }));
}

fn build_tray(app: &AppHandle) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, "show", "Show Postcall", true, None::<&str>)?;
    let copy = MenuItem::with_id(app, "copy", "Copy local webhook URL", true, None::<&str>)?;
    let tunnel_state = MenuItem::with_id(app, "tunnel-state", "Tunnel: off", false, None::<&str>)?;
    let copy_public = MenuItem::with_id(app, "copy-public", "Copy public webhook URL", false, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&show, &copy, &tunnel_state, &copy_public, &quit])?;
    app.manage(TrayTunnel { state: tunnel_state, copy_public });
    let mut tray = TrayIconBuilder::with_id("main").tooltip("Postcall").menu(&menu).on_menu_event(|app, event| {
        match event.id().as_ref() {
            "show" => show_main(app),
            "copy" => {
                let url = app.state::<AppState>().service.status().webhook_url;
                if let Some(url) = url {
                    let _ = app.clipboard().write_text(url);
                }
            }
            "copy-public" => {
                let app = app.clone();
                tauri::async_runtime::spawn(async move {
                    let status = app.state::<TunnelControl>().status().await;
                    if let TunnelState::Online { public_url, .. } = status.state {
                        let _ = app.clipboard().write_text(public_url);
                    }
                });
            }
            "quit" => app.exit(0),
            _ => {}
        }
    });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}
