//! Where opening the data folder is, for the window that opens before it is done.

use std::sync::Mutex;

use postcall_core::contract::shell::{Startup, StartupState as Phase};
use postcall_core::startup::Step;
use tauri::{AppHandle, State};

#[derive(Debug)]
pub struct StartupState(Mutex<Startup>);

impl Default for StartupState {
    fn default() -> Self {
        Self(Mutex::new(Startup { state: Phase::Opening, step: None, error: None }))
    }
}

impl StartupState {
    fn set(&self, app: &AppHandle, change: impl FnOnce(&mut Startup)) {
        let now = {
            let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
            change(&mut s);
            s.clone()
        };
        let _ = super::emit(app, &now);
    }

    pub fn step(&self, app: &AppHandle, step: Step) {
        self.set(app, |s| s.step = Some(step));
    }

    pub fn ready(&self, app: &AppHandle) {
        self.set(app, |s| (s.state, s.step) = (Phase::Ready, None));
    }

    pub fn failed(&self, app: &AppHandle, error: String) {
        self.set(app, |s| (s.state, s.step, s.error) = (Phase::Failed, None, Some(error)));
    }
}

#[tauri::command]
pub fn get_startup(state: State<'_, StartupState>) -> Startup {
    state.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
}
