//! CodeNet's metadata: one CSV per problem listing every submission.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::tree::Tree;

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
    /// Why this submission cannot become a handler, or `None` if it can:
    /// only `Accepted` Python 3 solutions can. CodeNet labels Python 3 as
    /// `Python` with an `original_language` such as `Python (3.8.2)` or
    /// `PyPy3 (2.4.0)`; Python 2 shares the `Python` label.
    pub fn exclusion(&self) -> Option<String> {
        if self.language != "Python" {
            return Some(format!("language {} (only Python is imported)", self.language));
        }
        let original = self.original_language.to_ascii_lowercase();
        let python3 = original.starts_with("python (3") || original.starts_with("python3") || original.starts_with("pypy3");
        if !python3 {
            return Some(format!("{} is not Python 3 (the handlers run on Python 3)", self.original_language));
        }
        if self.status != "Accepted" {
            return Some(format!("status {} (only Accepted solutions are imported)", self.status));
        }
        None
    }

    /// Where the submission's source lives, relative to the tree's root.
    pub fn source_path(&self) -> PathBuf {
        Path::new("data").join(&self.problem_id).join(&self.language).join(format!("{}.{}", self.submission_id, self.filename_ext))
    }

    /// A name valid for the orchestrator, Knative and Lambda.
    pub fn function_name(&self) -> String {
        format!("{}-{}", self.problem_id, self.submission_id).to_ascii_lowercase().replace('_', "-")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    #[error("cannot read {path}: {detail}")]
    Read { path: PathBuf, detail: String },
}

/// Reads the metadata of one problem: one file, however large the tree.
pub fn read_metadata(tree: &Tree, problem: &str) -> Result<Vec<Submission>, MetadataError> {
    let relative = Path::new("metadata").join(format!("{problem}.csv"));
    let fail = |detail: String| MetadataError::Read { path: tree.root().join(&relative), detail };
    let text = tree.read(&relative).map_err(|e| fail(e.to_string()))?;
    csv::Reader::from_reader(text.as_bytes()).deserialize().collect::<Result<_, _>>().map_err(|e| fail(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "submission_id,problem_id,user_id,date,language,original_language,filename_ext,status,cpu_time,memory,code_size,accuracy\n";

    #[test]
    fn only_accepted_python3_is_imported_and_the_rest_says_why() {
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
        let tree = Tree::new(dir.path());
        let all = read_metadata(&tree, "p00002").unwrap();
        let reasons: Vec<Option<String>> = all.iter().map(Submission::exclusion).collect();
        assert_eq!(reasons[..2], [None, None]);
        assert!(reasons[2].as_deref().unwrap().contains("not Python 3"));
        assert!(reasons[3].as_deref().unwrap().contains("Wrong Answer"));
        assert!(reasons[4].as_deref().unwrap().contains("C++"));
        assert_eq!(all[0].source_path(), Path::new("data/p00002/Python/s1.py"));
        assert_eq!(all[0].function_name(), "p00002-s1");
        assert!(read_metadata(&tree, "p99999").unwrap_err().to_string().contains("p99999.csv"));
    }
}
