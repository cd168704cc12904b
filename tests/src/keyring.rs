//! A private D-Bus session bus in a temporary HOME, optionally with an unlocked GNOME Keyring (a
//! real Secret Service) on it, for the tests of secrets in the system keyring. Nothing touches
//! the developer's own session or keyring.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn installed(program: &str) -> bool {
    Command::new(program).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

/// The programs these tests start: a session bus, a Secret Service and its command-line client.
const TOOLS: [&str; 4] = ["dbus-daemon", "dbus-send", "gnome-keyring-daemon", "secret-tool"];

/// Whether a test of the system keyring can run here. On Linux the keyring always can (the tests
/// start their own bus and keyring), so a missing program fails the test with what to install;
/// only where there is no Secret Service at all (other systems) is the test skipped, saying so.
pub fn tools_present() -> bool {
    if !cfg!(target_os = "linux") {
        eprintln!("skipped: the Secret Service keyring these tests drive exists only on Linux");
        return false;
    }
    let missing: Vec<&str> = TOOLS.iter().copied().filter(|p| !installed(p)).collect();
    assert!(
        missing.is_empty(),
        "the keyring tests need {} (not installed): run `make deps`, or `apt-get install dbus-daemon dbus-bin \
         gnome-keyring libsecret-tools`",
        missing.join(", ")
    );
    true
}

/// A private session bus in a temporary HOME, optionally with an unlocked GNOME Keyring on it.
/// Every daemon is killed when dropped.
pub struct Bus {
    pub address: String,
    home: tempfile::TempDir,
    children: Vec<Child>,
}

impl Bus {
    pub fn start() -> Bus {
        let home = tempfile::Builder::new().prefix("postcall-bus-").tempdir().expect("tempdir");
        std::fs::create_dir(home.path().join("run")).expect("runtime dir");
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .envs(Self::env_for(home.path()))
            .env_remove("DISPLAY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        let mut line = String::new();
        BufReader::new(bus.stdout.take().expect("stdout")).read_line(&mut line).expect("the bus address");
        let bus = Bus { address: line.trim().to_string(), home, children: vec![bus] };
        assert!(bus.address.starts_with("unix:"), "dbus-daemon printed {line:?}");
        bus
    }

    fn env_for(home: &Path) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("HOME", home.to_path_buf()),
            ("XDG_DATA_HOME", home.join("data")),
            ("XDG_CONFIG_HOME", home.join("config")),
            ("XDG_RUNTIME_DIR", home.join("run")),
        ]
    }

    /// Starts `gnome-keyring-daemon` with a login keyring created and unlocked by a password on
    /// stdin, and waits until it owns `org.freedesktop.secrets`.
    pub fn with_unlocked_keyring(mut self) -> Bus {
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .envs(Self::env_for(self.home.path()))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gnome-keyring-daemon");
        let mut stdin = keyring.stdin.take().expect("stdin");
        stdin.write_all(b"test-password").expect("the keyring password");
        drop(stdin);
        self.children.push(keyring);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let out = Command::new("dbus-send")
                .args(["--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus"])
                .args(["org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets"])
                .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
                .output()
                .expect("dbus-send");
            if String::from_utf8_lossy(&out.stdout).contains("boolean true") {
                return self;
            }
            assert!(Instant::now() < deadline, "gnome-keyring-daemon never took org.freedesktop.secrets");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `secret-tool ARGS…` on this bus, with `input` on stdin.
    pub fn secret_tool(&self, args: &[&str], input: &str) -> std::process::Output {
        let mut c = Command::new("secret-tool");
        c.args(args).env("DBUS_SESSION_BUS_ADDRESS", &self.address).env_remove("DISPLAY");
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().expect("run secret-tool");
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write");
        child.wait_with_output().expect("secret-tool")
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        // The keyring first, then the bus.
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
