//! `cogauth --help` lists every command, the new ones included (issue 16): a snapshot, so a
//! change to what users read is a reviewed change.

use cogauth_test_support::TestHome;

use crate::{cogauth, ok};

#[test]
fn help_lists_every_command() {
    let home = TestHome::offline();
    let help = ok(&cogauth(&home, &["--help"], ""));
    for command in ["serve", "token", "roles", "console"] {
        assert!(
            help.contains(&format!("\n  {command} ")),
            "{command}: {help}"
        );
    }
    insta::assert_snapshot!("cogauth_help", help);
}
