//! Stand-in for multis_admin / multic_admin while the real CLIs do not build:
//! only the hidden documentation options, enough for build-rpms.sh.
use std::{env, fs, path::Path, process::exit};

fn main() {
    let args: Vec<String> = env::args().collect();
    let name = Path::new(&args[0]).file_name().unwrap().to_string_lossy().into_owned();
    let write = |dir: &str, file: String, text: String| {
        fs::create_dir_all(dir).unwrap();
        fs::write(Path::new(dir).join(file), text).unwrap();
    };
    match (args.get(1).map(String::as_str), args.get(2)) {
        (Some("--generate-man"), Some(dir)) => write(
            dir,
            format!("{name}.8"),
            format!(".TH {n} 8\n.SH NAME\n{name} \\- packaging test stub\n", n = name.to_uppercase()),
        ),
        (Some("--generate-completions"), Some(dir)) => {
            write(dir, format!("{name}.bash"), format!("complete -W '-h' {name}\n"));
            write(dir, format!("_{name}"), format!("#compdef {name}\n"));
            write(dir, format!("{name}.fish"), format!("complete -c {name} -s h\n"));
        }
        _ => {
            eprintln!("{name}: packaging test stub");
            exit(2);
        }
    }
}
