//! Parse arguments, run the command, map the error to an exit code and print one line on
//! stderr. Nothing else lives here.

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = trustctl::cli::main_entry(std::env::args_os());
    ExitCode::from(code)
}
