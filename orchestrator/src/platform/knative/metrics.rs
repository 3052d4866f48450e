//! Cluster utilisation from the Kubernetes metrics API (`metrics.k8s.io`):
//! the CPU and memory in use on every node over what the nodes can
//! allocate, read by the health loop and cached for the router.

use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};

use crate::platform::Utilisation;

fn node_metrics() -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("metrics.k8s.io", "v1beta1", "NodeMetrics"), "nodes")
}

/// Reads usage and capacity of every node; `None` if either is unavailable.
pub async fn cluster_utilisation(client: &kube::Client) -> Option<Utilisation> {
    let usage = Api::<DynamicObject>::all_with(client.clone(), &node_metrics()).list(&ListParams::default()).await.ok()?;
    let nodes = Api::<Node>::all(client.clone()).list(&ListParams::default()).await.ok()?;
    let used = usage.items.iter().map(|m| (quantity(&m.data["usage"]["cpu"]), quantity(&m.data["usage"]["memory"])));
    let capacity = nodes.items.iter().filter_map(|n| n.status.as_ref()?.allocatable.as_ref()).map(|a| {
        let read = |key: &str| a.get(key).map_or(0.0, |q| parse_quantity(&q.0).unwrap_or(0.0));
        (read("cpu"), read("memory"))
    });
    Some(ratio(used, capacity))
}

fn quantity(value: &serde_json::Value) -> f64 {
    value.as_str().and_then(parse_quantity).unwrap_or(0.0)
}

/// Summed use over summed capacity, each in 0..=1.
fn ratio(used: impl Iterator<Item = (f64, f64)>, capacity: impl Iterator<Item = (f64, f64)>) -> Utilisation {
    let sum = |it: &mut dyn Iterator<Item = (f64, f64)>| it.fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (used, capacity) = (sum(&mut { used }), sum(&mut { capacity }));
    let share = |u: f64, c: f64| if c > 0.0 { (u / c).clamp(0.0, 1.0) } else { 0.0 };
    Utilisation { cpu: share(used.0, capacity.0), memory: share(used.1, capacity.1) }
}

/// A Kubernetes quantity (`250m`, `1.5`, `123456n`, `2Gi`, `512M`) as a number
/// of cores or bytes.
pub fn parse_quantity(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let scale = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        _ => return None,
    };
    number.parse::<f64>().ok().map(|n| n * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_in_every_suffix_kubernetes_reports() {
        assert_eq!(parse_quantity("250m"), Some(0.25));
        assert_eq!(parse_quantity("2"), Some(2.0));
        assert!((parse_quantity("123456789n").unwrap() - 0.123456789).abs() < 1e-12);
        assert_eq!(parse_quantity("1Ki"), Some(1024.0));
        assert_eq!(parse_quantity("2Gi"), Some(2.0 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(parse_quantity("512M"), Some(512e6));
        assert_eq!(parse_quantity("3Zi"), None);
        assert_eq!(parse_quantity("lots"), None);
    }

    #[test]
    fn utilisation_sums_every_node() {
        let used = [(0.5, 1e9), (0.25, 1e9)].into_iter();
        let capacity = [(2.0, 4e9), (1.0, 4e9)].into_iter();
        assert_eq!(ratio(used, capacity), Utilisation { cpu: 0.25, memory: 0.25 });
        assert_eq!(ratio(std::iter::empty(), std::iter::empty()), Utilisation::default());
    }
}
