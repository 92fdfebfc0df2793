//! Prometheus text exposition for `/metrics`: request counts and latency histograms by route
//! and status. Hand-rolled (a handful of counters does not need a metrics crate).
//! Must not: label with request data of unbounded cardinality (GUNs, paths).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Histogram bucket upper bounds, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Debug, Default, Clone)]
struct Series {
    count: u64,
    sum: f64,
    /// Non-cumulative counts per bucket; the last slot is +Inf.
    buckets: [u64; BUCKETS.len() + 1],
}

/// Request metrics, shared by all connections.
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<(&'static str, u16), Series>>,
}

impl Metrics {
    /// Record one request of `route` answered with `status` after `elapsed`.
    pub fn observe(&self, route: &'static str, status: u16, elapsed: Duration) {
        let Ok(mut series) = self.series.lock() else {
            return;
        };
        let s = series.entry((route, status)).or_default();
        let secs = elapsed.as_secs_f64();
        s.count += 1;
        s.sum += secs;
        let slot = BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS.len());
        s.buckets[slot] += 1;
    }

    /// The Prometheus text format (version 0.0.4).
    pub fn render(&self) -> String {
        let snapshot = match self.series.lock() {
            Ok(series) => series.clone(),
            Err(_) => BTreeMap::new(),
        };
        let mut out = String::new();
        out.push_str(
            "# HELP trustctl_server_http_requests_total HTTP requests by route and status.\n",
        );
        out.push_str("# TYPE trustctl_server_http_requests_total counter\n");
        for ((route, status), s) in &snapshot {
            let _ = writeln!(
                out,
                "trustctl_server_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {}",
                s.count
            );
        }
        out.push_str("# HELP trustctl_server_http_request_duration_seconds HTTP request latency by route and status.\n");
        out.push_str("# TYPE trustctl_server_http_request_duration_seconds histogram\n");
        for ((route, status), s) in &snapshot {
            let labels = format!("route=\"{route}\",status=\"{status}\"");
            let mut cumulative = 0;
            for (i, bound) in BUCKETS.iter().enumerate() {
                cumulative += s.buckets[i];
                let _ = writeln!(
                    out,
                    "trustctl_server_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "trustctl_server_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "trustctl_server_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "trustctl_server_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_cumulative_buckets() {
        let m = Metrics::default();
        m.observe("get_current", 200, Duration::from_millis(3));
        m.observe("get_current", 200, Duration::from_secs(10));
        m.observe("publish", 400, Duration::from_micros(10));
        let text = m.render();
        assert!(text.contains(
            "trustctl_server_http_requests_total{route=\"get_current\",status=\"200\"} 2\n"
        ));
        assert!(text
            .contains("trustctl_server_http_requests_total{route=\"publish\",status=\"400\"} 1\n"));
        assert!(text.contains("_bucket{route=\"get_current\",status=\"200\",le=\"0.001\"} 0\n"));
        assert!(text.contains("_bucket{route=\"get_current\",status=\"200\",le=\"0.005\"} 1\n"));
        assert!(text.contains("_bucket{route=\"get_current\",status=\"200\",le=\"5\"} 1\n"));
        assert!(text.contains("_bucket{route=\"get_current\",status=\"200\",le=\"+Inf\"} 2\n"));
    }
}
