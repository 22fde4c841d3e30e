//! The read-change-write cycle both tools run on their configuration file,
//! whatever its schema.

use super::{ClientConfig, ConfigFile, Locked, ServerConfig, ServerLimits};
use crate::error::Result;

/// A configuration as the tool's own file holds it.
pub trait Document: Default {
    /// The module's limits a configuration must fit.
    type Limits;
    /// Reads and checks the file's text.
    fn read(text: &str) -> Result<Self, String>;
    /// The file's text, in json-c's layout.
    fn text(&self) -> String;
    /// Whether the configuration fits `limits`; the reason if not.
    fn fits(&self, limits: &Self::Limits) -> Result<(), String>;
}

impl Document for ServerConfig {
    type Limits = ServerLimits;

    fn read(text: &str) -> Result<Self, String> {
        ServerConfig::parse(text)
    }

    fn text(&self) -> String {
        self.to_json_c()
    }

    fn fits(&self, limits: &ServerLimits) -> Result<(), String> {
        self.check_limits(limits)
    }
}

impl Document for ClientConfig {
    /// `max_entries`.
    type Limits = u32;

    // The tool's own file marks each allowed link-local entry itself; the
    // blanket allowance is for importing old files only.
    fn read(text: &str) -> Result<Self, String> {
        ClientConfig::parse(text, false)
    }

    fn text(&self) -> String {
        self.to_json_c()
    }

    fn fits(&self, max_entries: &u32) -> Result<(), String> {
        self.check_limits(*max_entries)
    }
}

/// The locked file's configuration; the empty one where there is no file
/// yet. A file that is unreadable, invalid, or more than the module can
/// hold (`limits`) is an error naming the file, before anything changes.
pub fn load<C: Document>(locked: &Locked<'_>, limits: &C::Limits) -> Result<C> {
    let config = locked.load(C::read)?.unwrap_or_default();
    config
        .fits(limits)
        .map_err(|reason| locked.file().error(reason))?;
    Ok(config)
}

/// Locks the file, reads it (see [`load`]), lets `change` alter the kernel
/// and the configuration, and writes the file if `change` succeeded with a
/// change.
pub fn edit<C: Document>(
    file: &ConfigFile,
    limits: &C::Limits,
    change: impl FnOnce(&mut C) -> Result<bool>,
) -> Result<()> {
    let locked = file.lock()?;
    let mut config = load(&locked, limits)?;
    if change(&mut config)? {
        locked.store(&config.text())?;
    }
    Ok(())
}

/// Makes `config`, already read from the old tool's file `from` and
/// checked, the configuration file. An existing configuration is never
/// overwritten.
pub fn adopt<C: Document>(file: &ConfigFile, from: &ConfigFile, config: &C) -> Result<()> {
    let locked = file.lock()?;
    if file.read_unlocked()?.is_some() {
        let reason = format!(
            "exists already; remove it first to import {}",
            from.path().display()
        );
        return Err(file.error(reason));
    }
    locked.store(&config.text())
}
