//! A `hearken serve` child process for tests: started with a config file, its port read from
//! what it prints, killed (SIGKILL) or stopped with the test.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Start the binary and read the port it printed.
    pub fn start(config: &std::path::Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hearken"))
            .args(["serve", "--config"])
            .arg(config)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("HEARKEN_LOG", "warn")
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let port = loop {
            let line = lines
                .next()
                .expect("the server printed its address")
                .expect("utf-8");
            if let Some(rest) = line.strip_prefix("hearken listening on http://127.0.0.1:") {
                break rest.split(' ').next().expect("port").to_string();
            }
        };
        // Keep draining stderr so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    pub fn kill(mut self) {
        // SIGKILL: no graceful shutdown, no flushing.
        self.child.kill().expect("kill");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A failing test must not leave servers behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
