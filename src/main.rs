fn main() {
    println!("monc");
}
