//! What ships beside the binary: the Kubernetes manifests validate against the Kubernetes
//! schemas (strictly: an unknown or misspelt field fails), and the Dockerfile runs every step
//! through `deploy/image-steps.sh` (which `tests/e2e/image.rs` runs outside a container), as a
//! non-root user, with a health check on readiness.

use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `kubernetes-validate` from the project's test virtualenv (scripts/test.sh installs it), or
/// `KUBERNETES_VALIDATE`.
fn validator() -> PathBuf {
    std::env::var_os("KUBERNETES_VALIDATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("tests/interop/.venv/bin/kubernetes-validate"))
}

#[test]
fn the_kubernetes_manifests_validate_strictly() {
    let manifests: Vec<PathBuf> = std::fs::read_dir(repo().join("deploy/k8s"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    assert!(!manifests.is_empty());
    let validator = validator();
    assert!(
        validator.exists(),
        "{} is missing: run scripts/test.sh (it installs tests/interop/requirements.txt)",
        validator.display()
    );
    let out = Command::new(&validator)
        .arg("--strict")
        .args(&manifests)
        .output()
        .expect("kubernetes-validate runs");
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    for kind in ["deployment/", "service/", "poddisruptionbudget/"] {
        assert!(
            said.contains(&format!("passed for resource {kind}")),
            "{kind}: {said}"
        );
    }
}

#[test]
fn the_dockerfile_runs_the_tested_steps_as_a_non_root_user() {
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let runs: Vec<&str> = dockerfile
        .lines()
        .filter(|l| l.starts_with("RUN ") || l.starts_with(" && "))
        .collect();
    assert!(runs.len() >= 3, "{runs:?}");
    for run in &runs {
        assert!(
            run.contains("image-steps.sh "),
            "a step outside image-steps.sh: {run}"
        );
    }
    for needed in [
        "image-steps.sh build /src /out",
        "image-steps.sh runtime-deps",
        "image-steps.sh user /",
        "USER 10001:10001",
        "HEALTHCHECK",
        "\"probe\", \"--url\", \"http://127.0.0.1:8080/health/ready\"",
        "FROM debian:bookworm-slim",
    ] {
        assert!(dockerfile.contains(needed), "the Dockerfile lacks {needed}");
    }
    let steps = std::fs::read_to_string(repo().join("deploy/image-steps.sh")).unwrap();
    assert!(
        steps.contains("cargo build --release --locked"),
        "locked build"
    );
}
