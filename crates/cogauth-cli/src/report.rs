//! Human-readable pieces of output shared by the commands.

use chrono::{DateTime, Local, Utc};

/// "2026-11-26 22:00:00 +01:00 (in 11 h 59 min)".
pub fn expiry(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let local = at.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S %:z");
    let left = at - now;
    let relative = if left.num_seconds() <= 0 {
        "expired".to_owned()
    } else if left.num_minutes() < 1 {
        format!("in {} s", left.num_seconds())
    } else if left.num_hours() < 1 {
        format!("in {} min", left.num_minutes())
    } else {
        format!("in {} h {} min", left.num_hours(), left.num_minutes() % 60)
    };
    format!("{local} ({relative})")
}
