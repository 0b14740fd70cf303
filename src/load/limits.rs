//! How many agents this machine lets one process run, and why: each agent is a thread, and a
//! thread costs a stack mapped with a guard page (memory maps, limited by `vm.max_map_count`) and
//! a task (limited by `kernel.threads-max`, the user's process limit `RLIMIT_NPROC` and a control
//! group's `pids.max`), and address space for that stack (`RLIMIT_AS`, when set). Checked before the start, so that a test too big for the machine is refused
//! with its cause instead of failing part-way (Linux reads these from `/proc` and `/sys`; elsewhere
//! no limit is known here and a failed start says so).

/// Memory maps one agent takes: its stack and guard page, and its share of the allocator's heaps
/// (measured: about 2.7 for a small flow; heavier flows take more).
pub const MAPS_PER_AGENT: u64 = 4;

/// Memory maps kept for everything else the process maps (its libraries, heaps, the runtime).
pub const RESERVE_MAPS: u64 = 1_000;

/// Threads kept for everything else the process runs (the runtime, the simulator, the collector).
pub const RESERVE_THREADS: u64 = 64;

/// One limit on the number of agents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// How many agents it leaves room for.
    pub agents: u64,
    /// What it is, and how to raise it.
    pub cause: String,
}

/// A limit on a resource: `total` of it, `used` already, `reserve` kept for the rest of the
/// process, `per_agent` for each agent.
pub fn room(total: u64, used: u64, reserve: u64, per_agent: u64, cause: String) -> Limit {
    Limit {
        agents: total.saturating_sub(used).saturating_sub(reserve) / per_agent.max(1),
        cause,
    }
}

/// The tightest limit this machine sets on agents, if any is known.
pub fn agents() -> Option<Limit> {
    known().into_iter().min_by_key(|l| l.agents)
}

/// Every limit known on this machine.
#[cfg(target_os = "linux")]
fn known() -> Vec<Limit> {
    linux::limits()
}

#[cfg(not(target_os = "linux"))]
fn known() -> Vec<Limit> {
    Vec::new()
}

#[cfg(target_os = "linux")]
mod linux {
    use super::{room, Limit, MAPS_PER_AGENT, RESERVE_MAPS, RESERVE_THREADS};

    fn read(path: &str) -> Option<String> {
        std::fs::read_to_string(path).ok()
    }

    fn number(path: &str) -> Option<u64> {
        read(path)?.trim().parse().ok()
    }

    pub fn limits() -> Vec<Limit> {
        let mut limits = Vec::new();
        if let (Some(max), Some(maps)) = (
            number("/proc/sys/vm/max_map_count"),
            read("/proc/self/maps"),
        ) {
            limits.push(room(
                max,
                maps.lines().count() as u64,
                RESERVE_MAPS,
                MAPS_PER_AGENT,
                format!(
                    "vm.max_map_count is {max} and each agent takes about {MAPS_PER_AGENT} memory \
                     maps (its thread's stack and guard page, its heap); raise it with \
                     `sysctl -w vm.max_map_count=262144`"
                ),
            ));
        }
        if let (Some(max), Some(loadavg)) = (
            number("/proc/sys/kernel/threads-max"),
            read("/proc/loadavg"),
        ) {
            // The fourth field is `running/total` tasks of the whole system.
            let total = loadavg
                .split_whitespace()
                .nth(3)
                .and_then(|f| f.split('/').nth(1))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            limits.push(room(
                max,
                total,
                RESERVE_THREADS,
                1,
                format!(
                    "kernel.threads-max is {max} and {total} threads run already; raise it with \
                     `sysctl -w kernel.threads-max=…`"
                ),
            ));
        }
        if let Some(max) = nproc_limit() {
            let used = user_threads();
            limits.push(room(
                max,
                used,
                RESERVE_THREADS,
                1,
                format!(
                    "the user's process limit (RLIMIT_NPROC, `ulimit -u`) is {max} and the user \
                     runs {used} threads already"
                ),
            ));
        }
        if let (Some(max), Some(used)) = (address_space_limit(), address_space_used()) {
            let per_agent = 2 * crate::load::agent::STACK_BYTES as u64;
            limits.push(room(
                max,
                used,
                // The rest of the process's threads, at a stack each.
                RESERVE_THREADS * per_agent,
                per_agent,
                format!(
                    "the address space is limited (RLIMIT_AS, `ulimit -v`) to {} MiB, {} MiB of \
                     it in use, and each agent reserves about {} MiB (its thread's stack)",
                    max >> 20,
                    used >> 20,
                    per_agent >> 20
                ),
            ));
        }
        if let Some((max, used, group)) = cgroup_pids() {
            limits.push(room(
                max,
                used,
                RESERVE_THREADS,
                1,
                format!(
                    "the control group {group} allows {max} tasks (pids.max) and runs {used} \
                     already"
                ),
            ));
        }
        limits
    }

    /// The soft `Max processes` of this process, when it is not unlimited.
    fn nproc_limit() -> Option<u64> {
        let limits = read("/proc/self/limits")?;
        let line = limits.lines().find(|l| l.starts_with("Max processes"))?;
        line.split_whitespace().nth(2)?.parse().ok()
    }

    /// The soft `Max address space` of this process in bytes, when it is not unlimited.
    fn address_space_limit() -> Option<u64> {
        let limits = read("/proc/self/limits")?;
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max address space"))?;
        line.split_whitespace().nth(3)?.parse().ok()
    }

    /// The address space this process uses now, in bytes.
    fn address_space_used() -> Option<u64> {
        let status = read("/proc/self/status")?;
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmSize:"))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        Some(kb * 1024)
    }

    /// Threads of every process whose real user is this process's.
    fn user_threads() -> u64 {
        let field = |status: &str, name: &str| -> Option<String> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next().map(str::to_string))
        };
        let Some(me) = read("/proc/self/status").and_then(|s| field(&s, "Uid:")) else {
            return 0;
        };
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return 0;
        };
        entries
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .bytes()
                    .all(|b| b.is_ascii_digit())
            })
            .filter_map(|e| std::fs::read_to_string(e.path().join("status")).ok())
            .filter(|s| field(s, "Uid:").as_deref() == Some(me.as_str()))
            .filter_map(|s| field(&s, "Threads:")?.parse::<u64>().ok())
            .sum()
    }

    /// The tightest `pids.max` of this process's control group and its parents (cgroup v2), with
    /// the tasks it already holds and the group's path.
    fn cgroup_pids() -> Option<(u64, u64, String)> {
        let line = read("/proc/self/cgroup")?;
        let path = line
            .lines()
            .find_map(|l| l.strip_prefix("0::"))?
            .trim()
            .to_string();
        let mut best: Option<(u64, u64, String)> = None;
        let mut group = std::path::PathBuf::from(&path);
        loop {
            let dir = std::path::Path::new("/sys/fs/cgroup")
                .join(group.strip_prefix("/").unwrap_or(&group));
            let max = number(&dir.join("pids.max").to_string_lossy());
            let current = number(&dir.join("pids.current").to_string_lossy());
            if let (Some(max), Some(current)) = (max, current) {
                let left = max.saturating_sub(current);
                if best
                    .as_ref()
                    .is_none_or(|(m, c, _)| left < m.saturating_sub(*c))
                {
                    best = Some((max, current, group.display().to_string()));
                }
            }
            if !group.pop() {
                break;
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_is_what_is_left_after_the_reserve_per_agent() {
        // A default Linux: 65,530 maps, 300 in use.
        let l = room(65_530, 300, RESERVE_MAPS, MAPS_PER_AGENT, "maps".into());
        assert_eq!(l.agents, (65_530 - 300 - RESERVE_MAPS) / 4);
        assert!(l.agents < 20_000, "the documented maximum does not fit");
        assert_eq!(room(500, 900, 0, 1, "x".into()).agents, 0);
    }

    #[test]
    fn this_machine_s_limits_are_read() {
        let limits = known();
        if cfg!(target_os = "linux") {
            assert!(
                limits
                    .iter()
                    .any(|l| l.cause.starts_with("vm.max_map_count is ")),
                "{limits:?}"
            );
        }
        for l in &limits {
            assert!(!l.cause.is_empty(), "{l:?}");
        }
    }
}
