#!/usr/bin/env python3
"""Recomputes every vector of password-srp-with-server.json and device-srp.json with pycognito
(an implementation independent of amazon-cognito-identity-js), and the server side with plain
Python integers. Exits non-zero on the first disagreement.

    python3 check_pycognito.py DIR   # DIR holds the two JSON files
"""
import base64
import datetime
import json
import os
import sys
import types

from pycognito import aws_srp

N = aws_srp.hex_to_long(aws_srp.N_HEX)
G = aws_srp.hex_to_long(aws_srp.G_HEX)
K = aws_srp.hex_to_long(aws_srp.hex_hash("00" + aws_srp.N_HEX + "0" + aws_srp.G_HEX))


def at(timestamp):
    """pycognito reads the clock; give it the vector's instant instead."""
    parsed = datetime.datetime.strptime(timestamp.replace(" UTC ", " "), "%a %b %d %H:%M:%S %Y")

    class Clock(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return parsed

    aws_srp.datetime = types.SimpleNamespace(datetime=Clock)


def srp_client(pool_id, small_a_hex, **device):
    srp = aws_srp.AWSSRP("user", "unused", pool_id, "client", pool_region="us-east-1", **device)
    srp.small_a_value = int(small_a_hex, 16)
    srp.large_a_value = srp.calculate_a()
    return srp


def server_side(v, b, big_a, big_b, verifier_hex, salt_hex, identity):
    """The server's view: v = g^x, B = k v + g^b, S = (A v^u)^b, the same HKDF key."""
    x = aws_srp.hex_to_long(aws_srp.hex_hash(aws_srp.pad_hex(salt_hex) + aws_srp.hash_sha256(identity.encode())))
    assert pow(G, x, N) == v == int(verifier_hex, 16), "verifier"
    assert (K * v + pow(G, b, N)) % N == big_b, "SRP_B"
    u = aws_srp.calculate_u(big_a, big_b)
    s = pow(big_a * pow(v, u, N) % N, b, N)
    return aws_srp.compute_hkdf(bytes.fromhex(aws_srp.pad_hex(s)), bytes.fromhex(aws_srp.pad_hex(aws_srp.long_to_hex(u))))


def check_password(v):
    at(v["timestamp"])
    srp = srp_client(v["pool_id"], v["small_a_hex"])
    assert f"{srp.large_a_value:x}" == v["expected_srp_a_hex"].lstrip("0"), f"{v['name']}: SRP_A"
    challenge = {"USERNAME": v["user_id_for_srp"], "USER_ID_FOR_SRP": v["user_id_for_srp"], "SALT": v["salt_hex"], "SRP_B": v["srp_b_hex"], "SECRET_BLOCK": v["secret_block_b64"]}
    srp.password = v["password"]
    response = srp.process_challenge(challenge, {"USERNAME": v["user_id_for_srp"]})
    assert response["TIMESTAMP"] == v["timestamp"], f"{v['name']}: timestamp"
    assert response["PASSWORD_CLAIM_SIGNATURE"] == v["expected_password_claim_signature"], f"{v['name']}: signature"
    key = srp.get_password_authentication_key(v["user_id_for_srp"], v["password"], int(v["srp_b_hex"], 16), v["salt_hex"])
    assert key.hex() == v["expected_key_hex"], f"{v['name']}: key"
    pool_name = v["pool_id"].split("_")[1]
    server_key = server_side(int(v["server_verifier_hex"], 16), int(v["server_small_b_hex"], 16), srp.large_a_value, int(v["srp_b_hex"], 16), v["server_verifier_hex"], v["salt_hex"], f"{pool_name}{v['user_id_for_srp']}:{v['password']}")
    assert server_key == key, f"{v['name']}: server key"


def check_device_verifier(v):
    draws = [bytes.fromhex(v["random_password_bytes_hex"]), bytes.fromhex(v["random_salt_bytes_hex"])]

    def urandom(n):
        chunk = draws.pop(0)
        assert len(chunk) == n, f"{v['name']}: pycognito drew {n} bytes, expected {len(chunk)}"
        return chunk

    real = aws_srp.os.urandom
    aws_srp.os.urandom = urandom
    try:
        password, config = aws_srp.generate_hash_device(v["device_group_key"], v["device_key"])
    finally:
        aws_srp.os.urandom = real
    assert not draws, f"{v['name']}: randomness left over"
    assert password == v["expected_device_password"], f"{v['name']}: device password"
    assert config["Salt"] == v["expected_salt_b64"], f"{v['name']}: Salt"
    assert config["PasswordVerifier"] == v["expected_password_verifier_b64"], f"{v['name']}: PasswordVerifier"
    assert base64.b64decode(config["Salt"]).hex() == v["expected_salt_hex"]
    assert base64.b64decode(config["PasswordVerifier"]).hex() == v["expected_verifier_hex"]


def check_device_auth(v):
    at(v["timestamp"])
    srp = srp_client("us-east-1_unused", v["small_a_hex"], device_key=v["device_key"], device_group_key=v["device_group_key"], device_password=v["device_password"])
    assert f"{srp.large_a_value:x}" == v["expected_srp_a_hex"].lstrip("0"), f"{v['name']}: SRP_A"
    challenge = {"USERNAME": "user", "SALT": v["salt_hex"], "SRP_B": v["srp_b_hex"], "SECRET_BLOCK": v["secret_block_b64"]}
    response = srp.process_device_challenge(challenge)
    assert response["TIMESTAMP"] == v["timestamp"], f"{v['name']}: timestamp"
    assert response["PASSWORD_CLAIM_SIGNATURE"] == v["expected_password_claim_signature"], f"{v['name']}: signature"
    key = srp.get_device_authentication_key(v["device_group_key"], v["device_key"], v["device_password"], int(v["srp_b_hex"], 16), v["salt_hex"])
    assert key.hex() == v["expected_key_hex"], f"{v['name']}: key"
    server_key = server_side(int(v["server_verifier_hex"], 16), int(v["server_small_b_hex"], 16), srp.large_a_value, int(v["srp_b_hex"], 16), v["server_verifier_hex"], v["salt_hex"], f"{v['device_group_key']}{v['device_key']}:{v['device_password']}")
    assert server_key == key, f"{v['name']}: server key"


def main():
    directory = sys.argv[1]
    with open(os.path.join(directory, "password-srp-with-server.json")) as f:
        password = json.load(f)
    with open(os.path.join(directory, "device-srp.json")) as f:
        device = json.load(f)
    for v in password["srp"]:
        check_password(v)
    for v in device["device_verifiers"]:
        check_device_verifier(v)
    for v in device["device_auth"]:
        check_device_auth(v)
    # the original vector file too, where it carries what pycognito needs
    original = os.path.join(directory, "amazon-cognito-identity-js.json")
    count = 0
    if os.path.exists(original):
        with open(original) as f:
            for v in json.load(f)["srp"]:
                at(v["timestamp"])
                srp = srp_client(v["pool_id"], v["small_a_hex"])
                srp.password = v["password"]
                r = srp.process_challenge({"USER_ID_FOR_SRP": v["user_id_for_srp"], "SALT": v["salt_hex"], "SRP_B": v["srp_b_hex"], "SECRET_BLOCK": v["secret_block_b64"]}, {"USERNAME": v["user_id_for_srp"]})
                assert r["PASSWORD_CLAIM_SIGNATURE"] == v["expected_password_claim_signature"], v["name"]
                count += 1
    print(f"pycognito agrees: {len(password['srp'])} password vectors, {len(device['device_verifiers'])} device verifiers, {len(device['device_auth'])} device logins, {count} original vectors")


if __name__ == "__main__":
    main()
