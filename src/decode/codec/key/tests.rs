use super::*;

#[test]
fn rejects_malformed_private_keys() {
    assert!(PrivateKey::from_hex("abc").is_err());
    assert!(PrivateKey::from_hex(&"zz".repeat(32)).is_err());
    assert!(
        PrivateKey::from_hex(&"00".repeat(32)).is_err(),
        "zero scalar"
    );
    assert!(PrivateKey::from_hex(&format!("{}\n", "11".repeat(32))).is_ok());
}

#[test]
fn ecdh_is_symmetric_and_takes_the_x_coordinate() {
    use k256::elliptic_curve::sec1::ToSec1Point;
    // Two key pairs: the TEA key one side derives from the other's
    // public key must match what the other derives from the first's.
    let a = PrivateKey::from_hex(&"11".repeat(32)).unwrap();
    let b = PrivateKey::from_hex(&"22".repeat(32)).unwrap();
    let pub_of = |k: &PrivateKey| {
        let p = k.0.public_key().to_sec1_point(false);
        p.as_bytes()[1..].to_vec()
    };
    let ab = a.tea_key(&pub_of(&b)).unwrap();
    let ba = b.tea_key(&pub_of(&a)).unwrap();
    assert_eq!(ab, ba);
    assert_eq!(a.tea_key(&[0u8; 64]), Err(KeyError::BadPublicKey));
}
