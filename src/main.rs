fn main() {
    println!("newsdedup: under construction");
}
