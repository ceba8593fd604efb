fn main() -> std::process::ExitCode {
    porsign::cli::main()
}
