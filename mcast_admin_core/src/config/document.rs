//! The read-change-write cycle both tools run on their configuration file,
//! whatever its schema.

use super::{ClientConfig, ConfigFile, Locked, ServerConfig, ServerLimits};
use crate::error::{Error, Result};

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
    /// How many groups (server) or entries (client) it holds.
    fn count(&self) -> usize;
    /// What one item is called, in the plural: "groups" or "entries".
    const ITEMS: &'static str;
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

    fn count(&self) -> usize {
        self.groups.len()
    }

    const ITEMS: &'static str = "groups";
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

    fn count(&self) -> usize {
        self.entries.len()
    }

    const ITEMS: &'static str = "entries";
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
        locked
            .store(&config.text())
            .map_err(|e| Error::NotSaved(Box::new(e)))?;
    }
    Ok(())
}

/// Makes `config`, already read from the old tool's file `from` and
/// checked, the configuration file. A configuration without groups or
/// entries (the packages ship one) counts as absent; one that holds any is
/// never overwritten, nor is one that cannot be read.
pub fn adopt<C: Document>(file: &ConfigFile, from: &ConfigFile, config: &C) -> Result<()> {
    let locked = file.lock()?;
    // Read without the module's limits: only whether it holds anything matters.
    let current: C = locked.load(C::read)?.unwrap_or_default();
    if current.count() > 0 {
        let reason = format!(
            "holds {} {} already; not importing {} (empty or remove it first)",
            current.count(),
            C::ITEMS,
            from.path().display()
        );
        return Err(file.error(reason));
    }
    locked.store(&config.text())
}
