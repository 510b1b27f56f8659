//! `ads-agents-mcp`: reads JSON-RPC lines on stdin, forwards each to the
//! agents API's `/mcp`, writes the answers on stdout (see the library).

use std::io::{BufRead, Write};
use std::process::ExitCode;

use adspin_mcp_stdio::{Config, Forwarder};

fn main() -> ExitCode {
    let mut stderr = std::io::stderr();
    let config = match Config::from_env(|name| std::env::var(name).ok()) {
        Ok(config) => config,
        Err(message) => {
            let _ = writeln!(stderr, "ads-agents-mcp: {message}");
            return ExitCode::from(2);
        }
    };
    let mut forwarder = Forwarder::new(config);
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    for line in stdin.lock().lines() {
        let line = match line {
            Ok(line) => line,
            Err(cause) => {
                let _ = writeln!(stderr, "ads-agents-mcp: reading stdin failed: {cause}");
                return ExitCode::FAILURE;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        match forwarder.forward(&line) {
            Ok(answers) => {
                for answer in answers {
                    if writeln!(stdout, "{answer}")
                        .and_then(|()| stdout.flush())
                        .is_err()
                    {
                        // The client went away.
                        return ExitCode::SUCCESS;
                    }
                }
            }
            Err(cause) => {
                let _ = writeln!(stderr, "ads-agents-mcp: {cause}");
            }
        }
    }
    ExitCode::SUCCESS
}
