//! codenet-loader: reads an IBM Project CodeNet tree (or the sample in
//! `datasets/`) and selects the accepted Python solutions the experiments
//! turn into Lambda-style handlers.
//!
//! CodeNet keeps one metadata file per problem,
//! `metadata/<problem>.csv`, with twelve columns:
//! `submission_id,problem_id,user_id,date,language,original_language,
//! filename_ext,status,cpu_time,memory,code_size,accuracy`. Reading one
//! problem reads only that file, never the rest of the 14-million-file tree.
//!
//! ```no_run
//! let rows = codenet_loader::read_metadata(std::path::Path::new("datasets/codenet-sample"), "p00002")?;
//! let accepted: Vec<_> = rows.iter().filter(|r| r.is_accepted_python3()).collect();
//! # Ok::<(), codenet_loader::LoadError>(())
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One row of `metadata/<problem>.csv`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Submission {
    pub submission_id: String,
    pub problem_id: String,
    pub user_id: String,
    pub date: String,
    pub language: String,
    pub original_language: String,
    pub filename_ext: String,
    pub status: String,
    pub cpu_time: Option<u64>,
    pub memory: Option<u64>,
    pub code_size: Option<u64>,
    pub accuracy: Option<String>,
}

impl Submission {
    /// CodeNet labels Python 3 as `Python` with an `original_language` such
    /// as `Python (3.8.2)` or `PyPy3 (2.4.0)`; Python 2 must not pass.
    pub fn is_accepted_python3(&self) -> bool {
        let original = self.original_language.to_ascii_lowercase();
        let python3 = original.starts_with("python (3") || original.starts_with("python3") || original.starts_with("pypy3");
        self.status == "Accepted" && self.language == "Python" && python3
    }

    /// Where the submission's source lives in the tree.
    pub fn source_path(&self, dataset: &Path) -> PathBuf {
        dataset.join("data").join(&self.problem_id).join(&self.language).join(format!("{}.{}", self.submission_id, self.filename_ext))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: csv::Error },
}

/// Reads the metadata of one problem.
pub fn read_metadata(dataset: &Path, problem: &str) -> Result<Vec<Submission>, LoadError> {
    let path = dataset.join("metadata").join(format!("{problem}.csv"));
    let read = |source| LoadError::Read { path: path.clone(), source };
    let mut reader = csv::Reader::from_path(&path).map_err(read)?;
    reader.deserialize().collect::<Result<_, _>>().map_err(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "submission_id,problem_id,user_id,date,language,original_language,filename_ext,status,cpu_time,memory,code_size,accuracy\n";

    #[test]
    fn only_accepted_python3_passes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("metadata")).unwrap();
        let rows = [
            "s1,p00002,u1,1,Python,Python (3.8.2),py,Accepted,10,9000,120,1/1",
            "s2,p00002,u2,1,Python,PyPy3 (2.4.0),py,Accepted,10,9000,120,1/1",
            "s3,p00002,u3,1,Python,Python (2.7.6),py,Accepted,10,9000,120,1/1",
            "s4,p00002,u4,1,Python,Python (3.4.3),py,Wrong Answer,10,9000,120,0/1",
            "s5,p00002,u5,1,C++,C++14 (GCC 5.4.1),cpp,Accepted,,,120,",
        ];
        std::fs::write(dir.path().join("metadata/p00002.csv"), format!("{HEADER}{}\n", rows.join("\n"))).unwrap();
        let all = read_metadata(dir.path(), "p00002").unwrap();
        let accepted: Vec<_> = all.iter().filter(|r| r.is_accepted_python3()).map(|r| r.submission_id.as_str()).collect();
        assert_eq!(accepted, ["s1", "s2"]);
        assert_eq!(all[0].source_path(Path::new("/d")), Path::new("/d/data/p00002/Python/s1.py"));
        assert!(matches!(read_metadata(dir.path(), "p99999"), Err(LoadError::Read { .. })));
    }
}
