//! Without AWS credentials, cogadmin says so in one line that says how to provide them: no
//! warnings of the credential chain, no debug dump of the metadata service's answer. The
//! chain's own account is there with `-v`.

use std::process::Command;

use cogauth_test_support::imds;

use crate::{Admin, Run};

/// `cogadmin user list` on a machine with no credentials at all: no keys, no profile, and an
/// instance metadata service that refuses (or, with `imds` false, none).
fn without_credentials(admin: &Admin, imds_refuses: bool, extra: &[&str]) -> Command {
    let mut args = extra.to_vec();
    args.extend(["user", "list", "--user-pool-id", "us-east-1_Abc123"]);
    let mut cmd = admin.command(&args);
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    if imds_refuses {
        cmd.env_remove("AWS_EC2_METADATA_DISABLED")
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds::refusing());
    }
    cmd
}

const ONE_LINE: &str = "cogadmin: error: Cognito user pools ListUsers failed: no AWS credentials found \
                        (cogadmin uses the normal AWS credential chain: set AWS_PROFILE, or \
                        AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws configure`)\n";

#[test]
fn no_credentials_is_one_line_that_says_how_to_provide_them() {
    let admin = Admin::new();
    for imds_refuses in [false, true] {
        let run: Run = admin.fails_with(without_credentials(&admin, imds_refuses, &[]), "");
        assert_eq!(
            run.stderr, ONE_LINE,
            "metadata service refuses: {imds_refuses}"
        );
        assert_eq!(run.stdout, "");
    }
}

#[test]
fn the_credential_chain_speaks_from_v_on() {
    let admin = Admin::new();
    let out = without_credentials(&admin, true, &["-v"])
        .output()
        .expect("run cogadmin");
    let run = Run::from(&out);
    assert_eq!(out.status.code(), Some(1), "{run:#?}");
    assert!(run.stderr.contains("aws_config"), "{}", run.stderr);
    assert!(run.stderr.ends_with(ONE_LINE), "{}", run.stderr);
}
