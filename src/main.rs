fn main() -> std::process::ExitCode {
    porsign::cli_main()
}
