//! What both binaries do around their clap definition: parse with the old
//! tool's exit status for usage errors and one-line messages, write man
//! pages and completions on request, and otherwise run the tool.

use crate::docs::{self, Section};
use crate::error::exit;
use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

/// A binary's clap definition, as the shared [`main`] needs it.
pub trait Tool: Parser {
    /// The hidden generation options (flattened into the definition).
    fn generate(&self) -> &Generate;
    /// The man page's sections beyond those clap writes.
    fn man_sections() -> Vec<Section>;
    /// Runs the parsed command line; returns the exit status.
    fn run(&self) -> ExitCode;
}

/// The whole of a binary's `main`: parse the process's arguments, then
/// either generate the packaging files or run the tool.
pub fn main<T: Tool>() -> ExitCode {
    let tool: T = match parse(std::env::args_os()) {
        Ok(tool) => tool,
        Err(code) => return code,
    };
    let generate = tool.generate();
    if generate.requested() {
        return generate.run::<T>(&T::man_sections());
    }
    tool.run()
}

/// Parses `args`. Help and version are printed (exit 0); any other problem
/// is printed as one line on stderr and gives exit status 255.
pub fn parse<P: Parser>(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
) -> Result<P, ExitCode> {
    P::try_parse_from(args).map_err(|e| match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{}", one_line(&e));
            ExitCode::from(exit::USAGE)
        }
    })
}

/// A clap error as one line, without its usage block and tips.
pub fn one_line(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    let first = rendered.lines().next().unwrap_or_default();
    first.strip_prefix("error: ").unwrap_or(first).to_string()
}

/// The hidden generation options every binary has; flatten them last into
/// the clap definition.
#[derive(Args, Clone, Debug, Default, PartialEq, Eq)]
pub struct Generate {
    /// Write the man page into DIR (for packaging)
    #[arg(
        id = "generate_man",
        long = "generate-man",
        value_name = "DIR",
        hide = true
    )]
    pub man: Option<PathBuf>,
    /// Write bash, zsh and fish completions into DIR (for packaging)
    #[arg(
        id = "generate_completions",
        long = "generate-completions",
        value_name = "DIR",
        hide = true
    )]
    pub completions: Option<PathBuf>,
}

impl Generate {
    /// Whether anything is to be generated.
    pub fn requested(&self) -> bool {
        self.man.is_some() || self.completions.is_some()
    }

    /// Writes what was asked for `P`'s command; prints each file written.
    pub fn run<P: CommandFactory>(&self, sections: &[Section]) -> ExitCode {
        let result = (|| -> std::io::Result<Vec<PathBuf>> {
            let mut written = Vec::new();
            if let Some(dir) = &self.man {
                written.push(docs::write_man(P::command(), sections, dir)?);
            }
            if let Some(dir) = &self.completions {
                written.extend(docs::write_completions(P::command(), dir)?);
            }
            Ok(written)
        })();
        match result {
            Ok(paths) => {
                paths.iter().for_each(|p| println!("{}", p.display()));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cannot write the generated files: {e}");
                ExitCode::from(exit::FAILURE)
            }
        }
    }
}
