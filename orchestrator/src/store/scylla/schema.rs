//! The CQL of the `scylla` store: keyspace, tables and every statement, as
//! plain strings so a unit test can read exactly what is sent.
//!
//! Executions are partitioned by `(function, bucket)`, where a bucket is a
//! fixed span of time, so a busy function's history is many bounded
//! partitions instead of one that grows forever; `execution_buckets` lists
//! the buckets a function has, in order.

pub const KEYSPACE: &str = "heterogeneous_faas";

/// The schema, created on first start (`IF NOT EXISTS` throughout).
pub fn schema(replication: &str) -> Vec<String> {
    let ks = KEYSPACE;
    vec![
        format!("CREATE KEYSPACE IF NOT EXISTS {ks} WITH replication = {replication}"),
        format!(
            "CREATE TABLE IF NOT EXISTS {ks}.functions (name text PRIMARY KEY, spec text, state text, created_at_ms bigint, training text)"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {ks}.executions (function text, bucket bigint, started_at_ms bigint, id bigint, \
             worker text, input_size bigint, duration_ms double, success boolean, error text, predicted_ms map<text, double>, \
             policy text, cold boolean, training boolean, cpu_ms double, maxrss_kb bigint, client_gone boolean, \
             PRIMARY KEY ((function, bucket), started_at_ms, id))"
        ),
        format!("CREATE TABLE IF NOT EXISTS {ks}.execution_buckets (function text, bucket bigint, PRIMARY KEY (function, bucket))"),
        format!(
            "CREATE TABLE IF NOT EXISTS {ks}.models (function text, worker text, intercept double, slope double, samples bigint, \
             r2 double, cleaning text, window_start_ms bigint, window_end_ms bigint, state text, PRIMARY KEY (function, worker))"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {ks}.clusters (clustering text, id int, centroid list<double>, members list<text>, PRIMARY KEY (clustering, id))"
        ),
        format!("CREATE TABLE IF NOT EXISTS {ks}.credentials (scope text PRIMARY KEY, value text)"),
    ]
}

pub const INSERT_FUNCTION: &str =
    "INSERT INTO heterogeneous_faas.functions (name, spec, state, created_at_ms, training) VALUES (?, ?, ?, ?, ?) IF NOT EXISTS";
/// Conditional: a function deleted while it deploys or trains must not be
/// written back by the state update that finishes afterwards.
pub const UPDATE_FUNCTION: &str = "UPDATE heterogeneous_faas.functions SET spec = ?, state = ?, training = ? WHERE name = ? IF EXISTS";
pub const SELECT_FUNCTION: &str = "SELECT spec, state, created_at_ms, training FROM heterogeneous_faas.functions WHERE name = ?";
pub const SELECT_FUNCTIONS: &str = "SELECT spec, state, created_at_ms, training FROM heterogeneous_faas.functions";
pub const DELETE_FUNCTION: &str = "DELETE FROM heterogeneous_faas.functions WHERE name = ?";

pub const INSERT_EXECUTION: &str = "INSERT INTO heterogeneous_faas.executions (function, bucket, started_at_ms, id, worker, input_size, \
     duration_ms, success, error, predicted_ms, policy, cold, training, cpu_ms, maxrss_kb, client_gone) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
pub const SELECT_EXECUTIONS: &str = "SELECT worker, input_size, duration_ms, success, error, predicted_ms, policy, started_at_ms, \
     cold, training, cpu_ms, maxrss_kb, client_gone FROM heterogeneous_faas.executions WHERE function = ? AND bucket = ?";
/// Brings an executions table created before `client_gone` up to date; on
/// a table that has it, the server's error is expected and ignored.
pub const ADD_CLIENT_GONE: &str = "ALTER TABLE heterogeneous_faas.executions ADD client_gone boolean";
pub const DELETE_EXECUTIONS: &str = "DELETE FROM heterogeneous_faas.executions WHERE function = ? AND bucket = ?";
pub const INSERT_BUCKET: &str = "INSERT INTO heterogeneous_faas.execution_buckets (function, bucket) VALUES (?, ?)";
pub const SELECT_BUCKETS: &str = "SELECT bucket FROM heterogeneous_faas.execution_buckets WHERE function = ?";
pub const DELETE_BUCKETS: &str = "DELETE FROM heterogeneous_faas.execution_buckets WHERE function = ?";

pub const UPSERT_MODEL: &str = "INSERT INTO heterogeneous_faas.models (function, worker, intercept, slope, samples, r2, cleaning, \
     window_start_ms, window_end_ms, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
pub const SELECT_MODELS: &str = "SELECT function, worker, intercept, slope, samples, r2, cleaning, window_start_ms, window_end_ms, state \
     FROM heterogeneous_faas.models";
pub const DELETE_MODELS: &str = "DELETE FROM heterogeneous_faas.models WHERE function = ?";

pub const DELETE_CLUSTERS: &str = "DELETE FROM heterogeneous_faas.clusters WHERE clustering = 'current'";
pub const INSERT_CLUSTER: &str = "INSERT INTO heterogeneous_faas.clusters (clustering, id, centroid, members) VALUES ('current', ?, ?, ?)";

pub const UPSERT_CREDENTIALS: &str = "INSERT INTO heterogeneous_faas.credentials (scope, value) VALUES (?, ?)";
pub const SELECT_CREDENTIALS: &str = "SELECT value FROM heterogeneous_faas.credentials WHERE scope = ?";

/// The bucket of a row started at `started_at_ms`.
pub fn bucket(started_at_ms: i64, bucket_hours: u32) -> i64 {
    started_at_ms.div_euclid(i64::from(bucket_hours.max(1)) * 3_600_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keyspace_takes_the_configured_replication() {
        let statements = schema("{'class': 'NetworkTopologyStrategy', 'dc1': 3}");
        assert_eq!(
            statements[0],
            "CREATE KEYSPACE IF NOT EXISTS heterogeneous_faas WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3}"
        );
        assert!(statements.iter().all(|s| s.contains("IF NOT EXISTS heterogeneous_faas")), "first start creates, later starts keep");
        assert_eq!(statements.len(), 7);
    }

    #[test]
    fn executions_are_partitioned_by_function_and_time_bucket() {
        let executions = schema("{}").into_iter().find(|s| s.contains(".executions (")).unwrap();
        assert!(executions.ends_with("PRIMARY KEY ((function, bucket), started_at_ms, id))"), "{executions}");
        assert!(SELECT_EXECUTIONS.ends_with("WHERE function = ? AND bucket = ?"), "reads name one partition");
        assert_eq!(INSERT_EXECUTION.matches('?').count(), 16);
        assert_eq!(UPSERT_MODEL.matches('?').count(), 10);
    }

    #[test]
    fn buckets_are_fixed_spans_of_time() {
        let day = 24 * 3_600_000;
        assert_eq!(bucket(0, 24), 0);
        assert_eq!(bucket(day - 1, 24), 0);
        assert_eq!(bucket(day, 24), 1);
        assert_eq!(bucket(day, 1), 24);
        assert_eq!(bucket(-1, 24), -1, "before 1970 still has a bucket of its own");
        assert_eq!(bucket(5, 0), 0, "a zero span is read as one hour, not a division by zero");
    }

    #[test]
    fn creating_and_updating_a_function_are_conditional() {
        assert!(INSERT_FUNCTION.ends_with("IF NOT EXISTS"), "a duplicate name must be detected");
        assert!(UPDATE_FUNCTION.starts_with("UPDATE ") && UPDATE_FUNCTION.ends_with("IF EXISTS"), "a deleted function stays deleted");
        assert_eq!(UPDATE_FUNCTION.matches('?').count(), 4);
    }
}
