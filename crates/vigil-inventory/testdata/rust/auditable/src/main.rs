use num_traits::CheckedAdd;

fn main() {
    let a: u8 = std::env::args().count() as u8;
    println!("{:?}", CheckedAdd::checked_add(&a, &250));
}
