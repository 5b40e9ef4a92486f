//! Wakes live-feed connections when a workspace has new events. The hub carries only "workspace
//! W changed"; connections then read the events from the log, in order, from where they are.
//! So a slow connection that misses a wake-up (the channel is bounded) still sees every event,
//! and events written by another process are picked up by the feed's periodic check.

use tokio::sync::broadcast;
use velocity_domain::WorkspaceId;

const CAPACITY: usize = 1024;

#[derive(Clone)]
pub struct Hub {
    sender: broadcast::Sender<WorkspaceId>,
}

impl Hub {
    pub fn new() -> Hub {
        Hub {
            sender: broadcast::channel(CAPACITY).0,
        }
    }

    pub fn notify(&self, workspace: WorkspaceId) {
        // No receivers is normal (nobody is watching); nothing to report.
        let _ = self.sender.send(workspace);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<WorkspaceId> {
        self.sender.subscribe()
    }
}
