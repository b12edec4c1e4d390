//! NetworkManager loading files netloom wrote, as an [`Activator`]: ifcfg files through its
//! ifcfg-rh plugin (RHEL 8 and 9), or keyfiles. The changed files are loaded again
//! (`LoadConnections`), inside a checkpoint over every device, and the profiles of the
//! touched interfaces deactivated before the files change and activated after; undoing
//! rolls the checkpoint back first, then the engine restores the files and has them loaded
//! again.

use std::path::PathBuf;

use super::{Checkpoint, Client, LiveProfile};
use crate::error::{Error, LiveKind};
use crate::live::Activator;

/// What the journal records of this way.
pub const VIA: &str = "networkmanager";

use super::{ACTIVATION, GRACE_SECS, SAFETY_SECS};

/// NetworkManager, reading the files under the running system's root.
#[derive(Debug)]
pub struct NmFiles {
    client: Client,
}

impl NmFiles {
    /// This way, through a connected client.
    pub fn new(client: Client) -> Self {
        NmFiles { client }
    }

    /// The profile that configures interface `name` (not as a port): among several, the
    /// one stored in one of `files`.
    fn profile_of<'p>(
        &self,
        profiles: &'p [LiveProfile],
        name: &str,
        files: &[String],
    ) -> Result<Option<&'p LiveProfile>, Error> {
        let candidates: Vec<&LiveProfile> = profiles
            .iter()
            .filter(|p| p.settings.interface_name() == Some(name) && p.settings.master().is_none())
            .collect();
        for p in &candidates {
            if files.contains(&self.client.filename(&p.path)?) {
                return Ok(Some(p));
            }
        }
        Ok(candidates.first().copied())
    }
}

/// The ports of the profile `controller`: profiles whose master is its UUID or interface.
fn ports<'p>(profiles: &'p [LiveProfile], controller: &LiveProfile) -> Vec<&'p LiveProfile> {
    let keys = [
        controller.settings.uuid(),
        controller.settings.interface_name(),
    ];
    profiles
        .iter()
        .filter(|p| p.settings.master().is_some_and(|m| keys.contains(&Some(m))))
        .collect()
}

impl Activator for NmFiles {
    fn via(&self) -> &'static str {
        VIA
    }

    /// The interfaces whose profile is active.
    fn up(&self, names: &[String]) -> Result<Vec<String>, Error> {
        let active = self.client.active()?;
        let profiles = self.client.profiles()?;
        Ok(names
            .iter()
            .filter(|n| {
                profiles.iter().any(|p| {
                    p.settings.interface_name() == Some(n.as_str())
                        && p.settings.uuid().is_some_and(|u| active.contains(u))
                })
            })
            .cloned()
            .collect())
    }

    fn begin(&self) -> Result<Option<String>, Error> {
        Ok(Some(self.client.checkpoint_create(SAFETY_SECS)?.0))
    }

    /// Deactivates the profiles of `names` (ports after their controller goes).
    fn down(&self, names: &[String]) -> Result<(), Error> {
        let profiles = self.client.profiles()?;
        let active = self.client.active()?;
        for name in names {
            for p in profiles
                .iter()
                .filter(|p| p.settings.interface_name() == Some(name.as_str()))
            {
                if let Some(uuid) = p.settings.uuid().filter(|u| active.contains(*u)) {
                    self.client.deactivate(uuid)?;
                }
            }
        }
        Ok(())
    }

    /// Loads `files` again, then activates each interface's profile, controllers before
    /// their ports.
    fn up_with(&self, files: &[PathBuf], names: &[String]) -> Result<(), Error> {
        let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let failed = self.client.load(&files)?;
        if !failed.is_empty() {
            return Err(Error::live(
                LiveKind::Failed,
                format!(
                    "NetworkManager could not load {} (its log says why; a RHEL host needs the \
                 ifcfg-rh plugin for ifcfg files)",
                    failed.join(", ")
                ),
            ));
        }
        let profiles = self.client.profiles()?;
        for name in names {
            let Some(p) = self.profile_of(&profiles, name, &files)? else {
                return Err(Error::live(
                    LiveKind::Failed,
                    format!(
                        "NetworkManager has no profile for interface '{name}' after loading the files"
                    ),
                ));
            };
            self.client.activate(&p.path, ACTIVATION)?;
            for port in ports(&profiles, p) {
                self.client.activate(&port.path, ACTIVATION)?;
            }
        }
        Ok(())
    }

    fn extend(&self, token: &str, secs: u64) -> Result<(), Error> {
        let window = u32::try_from(secs).unwrap_or(u32::MAX);
        Ok(self.client.checkpoint_adjust(
            &Checkpoint(token.to_owned()),
            window.saturating_add(GRACE_SECS),
        )?)
    }

    /// The checkpoint puts devices back as they were, when it still exists (not after a
    /// restart, nor once NetworkManager's own timeout used it).
    fn rollback(&self, token: &str) -> Result<(), Error> {
        let cp = Checkpoint(token.to_owned());
        if self.client.checkpoints()?.contains(&cp) {
            self.client.checkpoint_rollback(&cp)?;
        }
        Ok(())
    }

    fn release(&self, token: &str) -> Result<(), Error> {
        let cp = Checkpoint(token.to_owned());
        if self.client.checkpoints()?.contains(&cp) {
            self.client.checkpoint_destroy(&cp)?;
        }
        Ok(())
    }
}
