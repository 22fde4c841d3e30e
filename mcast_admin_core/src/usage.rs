//! Combination rules of the command line, shared by both tools: exactly
//! one command, and per command the options it needs and those it refuses.

use crate::error::{Error, Result};

// The commands as messages name them; both tools spell them alike.
/// `-A`.
pub const ADD: &str = "-A/--add";
/// `-D`.
pub const DELETE: &str = "-D/--delete";
/// `-C`.
pub const CLEAR: &str = "-C/--clear";
/// `-P`.
pub const STATS: &str = "-P/--stats";
/// `-L`.
pub const LIST: &str = "-L/--list";
/// `-S` (`multis_admin` only).
pub const SHOW: &str = "-S/--show";
/// `-R`.
pub const RESTORE: &str = "-R/--restore";
/// `--import`.
pub const IMPORT: &str = "--import";

/// An option as written in messages (`-m/--multiip`), and whether it was given.
pub type Given<'a> = (&'a str, bool);

/// The one command given, or a usage error naming the problem.
pub fn one_command<'a>(commands: &[Given<'a>], all: &str) -> Result<&'a str> {
    let mut given = commands.iter().filter(|(_, on)| *on).map(|(name, _)| *name);
    match (given.next(), given.next()) {
        (None, _) => Err(Error::Usage(format!(
            "no command given: use one of {all} (see --help)"
        ))),
        (Some(one), None) => Ok(one),
        (Some(a), Some(b)) => Err(Error::Usage(format!(
            "{a} and {b} cannot be combined: give one command"
        ))),
    }
}

/// Refuses the first of `options` that was given with `command`.
pub fn refuse(command: &str, options: &[Given<'_>]) -> Result<()> {
    match options.iter().find(|(_, on)| *on) {
        Some((name, _)) => Err(Error::Usage(format!("{command} takes no {name}"))),
        None => Ok(()),
    }
}

/// Requires every one of `options` with `command`; `what` lists them for the message.
pub fn require(command: &str, options: &[Given<'_>], what: &str) -> Result<()> {
    if options.iter().all(|(_, on)| *on) {
        Ok(())
    } else {
        Err(Error::Usage(format!("{command} needs {what}")))
    }
}

/// Refuses `a` together with `b`; `advice` ends the message.
pub fn apart(a: Given<'_>, b: Given<'_>, advice: &str) -> Result<()> {
    if a.1 && b.1 {
        return Err(Error::Usage(format!(
            "{} and {} cannot be combined{advice}",
            a.0, b.0
        )));
    }
    Ok(())
}

/// Refuses `option` unless one of the commands it goes with is the one given.
pub fn only_with(option: Given<'_>, command: &str, allowed: &[&str], names: &str) -> Result<()> {
    if option.1 && !allowed.contains(&command) {
        return Err(Error::Usage(format!("{} goes only with {names}", option.0)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let cmds = [
            ("-A/--add", true),
            ("-D/--delete", false),
            ("-C/--clear", true),
        ];
        assert_eq!(
            one_command(&cmds, "-A or -C").unwrap_err().to_string(),
            "-A/--add and -C/--clear cannot be combined: give one command"
        );
        assert_eq!(
            one_command(&[("-A/--add", false)], "-A")
                .unwrap_err()
                .to_string(),
            "no command given: use one of -A (see --help)"
        );
        assert_eq!(
            one_command(&[("-A/--add", true)], "-A").unwrap(),
            "-A/--add"
        );
        assert_eq!(
            refuse(
                "-C/--clear",
                &[("-j/--join", false), ("-m/--multiip", true)]
            )
            .unwrap_err()
            .to_string(),
            "-C/--clear takes no -m/--multiip"
        );
        assert_eq!(
            require("-L/--list", &[("-m", false)], "-m/--multiip GROUP")
                .unwrap_err()
                .to_string(),
            "-L/--list needs -m/--multiip GROUP"
        );
        assert!(apart(("-j", true), ("-q", false), "").is_ok());
        assert_eq!(
            apart(
                ("--learn", true),
                ("-j/--join", true),
                ": give them in two commands"
            )
            .unwrap_err()
            .to_string(),
            "--learn and -j/--join cannot be combined: give them in two commands"
        );
        assert!(only_with(("--json", true), "-L/--list", &["-L/--list"], "-L").is_ok());
        assert_eq!(
            only_with(("--json", true), "-A/--add", &["-L/--list"], "-L")
                .unwrap_err()
                .to_string(),
            "--json goes only with -L"
        );
    }
}
