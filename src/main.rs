fn main() {
    std::process::exit(teapot::cli::main());
}
