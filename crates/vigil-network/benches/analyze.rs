//! Import and analysis of a generated 10,000-instance AWS account (the speed goal:
//! under 5 s): 10 VPCs, 200 subnets (public and private, each with its own route table and
//! ACL), 400 security groups (CIDR, prefix-list and group-reference rules), 10,000 instances
//! (one interface each, half with public addresses), 20 internet-facing load balancers with
//! 1,000 targets between them; written as the JSON the AWS CLI prints, then imported and
//! analysed. Prints each phase's time (best of the runs) and the counts.
//!
//!   cargo bench -p vigil-network --bench analyze [-- INSTANCES [RUNS]]

use std::time::Instant;

use serde_json::{Value, json};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn perm(proto: &str, from: i64, to: i64, cidrs: &[&str], groups: &[String]) -> Value {
    json!({
        "IpProtocol": proto, "FromPort": from, "ToPort": to,
        "IpRanges": cidrs.iter().map(|c| json!({"CidrIp": c})).collect::<Vec<_>>(),
        "UserIdGroupPairs": groups.iter().map(|g| json!({"GroupId": g, "UserId": "123456789012"})).collect::<Vec<_>>(),
        "PrefixListIds": [], "Ipv6Ranges": [],
    })
}

fn acl_entry(
    n: i64,
    egress: bool,
    allow: bool,
    proto: &str,
    from: i64,
    to: i64,
    cidr: &str,
) -> Value {
    json!({"RuleNumber": n, "Egress": egress, "RuleAction": if allow {"allow"} else {"deny"},
           "Protocol": proto, "PortRange": {"From": from, "To": to}, "CidrBlock": cidr})
}

/// The account's `describe-*` outputs: (file name, JSON).
fn generate(instances: usize) -> Vec<(String, Vec<u8>)> {
    let mut rng = Rng(42);
    let vpcs = 10usize;
    let subnets_per_vpc = 20usize;
    let sgs_per_vpc = 40usize;
    let mut vpc_out = Vec::new();
    let mut subnets = Vec::new();
    let mut rtbs = Vec::new();
    let mut acls = Vec::new();
    let mut igws = Vec::new();
    let mut sgs = Vec::new();
    for v in 0..vpcs {
        let vpc = format!("vpc-{v:017x}");
        vpc_out.push(json!({"VpcId": vpc, "CidrBlock": format!("10.{v}.0.0/16"),
                            "CidrBlockAssociationSet": [{"CidrBlock": format!("10.{v}.0.0/16")}]}));
        let igw = format!("igw-{v:017x}");
        igws.push(json!({"InternetGatewayId": igw, "Attachments": [{"VpcId": vpc, "State": "available"}]}));
        for s in 0..subnets_per_vpc {
            let id = format!("subnet-{v:02x}{s:015x}");
            let public = s % 2 == 0;
            subnets.push(
                json!({"SubnetId": id, "VpcId": vpc, "CidrBlock": format!("10.{v}.{s}.0/24")}),
            );
            let mut routes = vec![
                json!({"DestinationCidrBlock": format!("10.{v}.0.0/16"), "GatewayId": "local", "State": "active"}),
            ];
            if public {
                routes.push(json!({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw, "State": "active"}));
                if rng.below(4) == 0 {
                    routes.push(json!({"DestinationCidrBlock": "198.51.100.0/24", "State": "blackhole", "GatewayId": "igw-0gone"}));
                }
            }
            rtbs.push(json!({"RouteTableId": format!("rtb-{v:02x}{s:015x}"), "VpcId": vpc, "Routes": routes,
                              "Associations": [{"SubnetId": id, "Main": false}]}));
            let mut entries = vec![
                acl_entry(100, false, true, "6", 0, 65535, "0.0.0.0/0"),
                acl_entry(200, false, true, "17", 0, 65535, "0.0.0.0/0"),
                acl_entry(100, true, true, "-1", 0, 65535, "0.0.0.0/0"),
            ];
            for k in 0..rng.below(6) {
                let a = rng.below(200) + 1;
                entries.push(acl_entry(
                    10 + k as i64,
                    false,
                    false,
                    "6",
                    rng.below(1024) as i64,
                    1024 + rng.below(2048) as i64,
                    &format!("{a}.{}.0.0/16", rng.below(255)),
                ));
            }
            acls.push(json!({"NetworkAclId": format!("acl-{v:02x}{s:015x}"), "VpcId": vpc, "Entries": entries,
                             "Associations": [{"SubnetId": id}], "IsDefault": false}));
        }
        for g in 0..sgs_per_vpc {
            let id = format!("sg-{v:02x}{g:015x}");
            let mut perms = vec![perm("tcp", 443, 443, &["0.0.0.0/0"], &[])];
            match g % 5 {
                0 => perms.push(perm(
                    "tcp",
                    22,
                    22,
                    &["203.0.113.0/24", "192.0.2.0/24"],
                    &[],
                )),
                1 => perms.push(perm("tcp", 8000, 8999, &["0.0.0.0/0"], &[])),
                2 => perms.push(perm("udp", 53, 53, &["0.0.0.0/0"], &[])),
                3 => perms.push(perm(
                    "tcp",
                    5432,
                    5432,
                    &[],
                    &[format!("sg-{v:02x}{:015x}", (g + 1) % sgs_per_vpc)],
                )),
                _ => perms.push(perm("-1", -1, -1, &[&format!("10.{v}.0.0/16")], &[])),
            }
            sgs.push(json!({"GroupId": id, "VpcId": vpc, "GroupName": format!("g{g}"),
                            "IpPermissions": perms, "IpPermissionsEgress": [perm("-1", -1, -1, &["0.0.0.0/0"], &[])]}));
        }
    }
    let mut reservations = Vec::new();
    let mut enis = Vec::new();
    let mut instance_ids = Vec::new();
    for i in 0..instances {
        let v = i % vpcs;
        let s = (i / vpcs) % subnets_per_vpc;
        let public = s % 2 == 0 && i % 2 == 0;
        let id = format!("i-{i:017x}");
        let eni = format!("eni-{i:017x}");
        let ip = format!("10.{v}.{s}.{}", 4 + (i / (vpcs * subnets_per_vpc)) % 250);
        let groups: Vec<Value> = (0..1 + rng.below(2))
            .map(
                |_| json!({"GroupId": format!("sg-{v:02x}{:015x}", rng.below(sgs_per_vpc as u64))}),
            )
            .collect();
        let mut ni = json!({"NetworkInterfaceId": eni, "SubnetId": format!("subnet-{v:02x}{s:015x}"), "VpcId": format!("vpc-{v:017x}"),
                            "PrivateIpAddress": ip, "Groups": groups, "Attachment": {"DeviceIndex": 0}});
        if public {
            ni["Association"] = json!({"PublicIp": format!("{}.{}.{}.{}", 3 + (i >> 16) % 200, (i >> 8) & 255, i & 255, 7)});
        }
        reservations.push(json!({"Instances": [{"InstanceId": id, "SubnetId": ni["SubnetId"], "VpcId": ni["VpcId"],
            "PrivateIpAddress": ip, "NetworkInterfaces": [ni.clone()], "State": {"Name": "running"}}]}));
        let mut e = ni;
        e["Attachment"] = json!({"InstanceId": id, "DeviceIndex": 0});
        e["InterfaceType"] = json!("interface");
        enis.push(e);
        instance_ids.push((id, v));
    }
    // internet-facing ALBs in the public subnets, 50 targets each
    let mut lbs = Vec::new();
    let mut tgs = Vec::new();
    let mut listeners = Vec::new();
    let mut files = Vec::new();
    for b in 0..20usize {
        let v = b % vpcs;
        let name = format!("alb{b}");
        let arn = format!(
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/{name}/{b:016x}"
        );
        let tg = format!(
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tg{b}/{b:016x}"
        );
        let sg = format!("sg-{v:02x}{:015x}", 0);
        let azs: Vec<Value> = (0..2)
            .map(|k| json!({"SubnetId": format!("subnet-{v:02x}{:015x}", 2 * k)}))
            .collect();
        lbs.push(json!({"LoadBalancerArn": arn, "LoadBalancerName": name, "Scheme": "internet-facing", "Type": "application",
                        "VpcId": format!("vpc-{v:017x}"), "AvailabilityZones": azs, "SecurityGroups": [sg]}));
        for k in 0..2usize {
            enis.push(json!({"NetworkInterfaceId": format!("eni-lb{b:03}{k}"), "SubnetId": format!("subnet-{v:02x}{:015x}", 2 * k),
                "VpcId": format!("vpc-{v:017x}"), "PrivateIpAddress": format!("10.{v}.{}.250", 2 * k),
                "Association": {"PublicIp": format!("34.{b}.{k}.1")}, "Groups": [{"GroupId": sg}],
                "InterfaceType": "interface", "Description": format!("ELB app/{name}/{b:016x}")}));
        }
        tgs.push(json!({"TargetGroupArn": tg, "TargetGroupName": format!("tg{b}"), "Protocol": "HTTP", "Port": 8080,
                        "TargetType": "instance", "VpcId": format!("vpc-{v:017x}"), "LoadBalancerArns": [arn]}));
        listeners.push(json!({"ListenerArn": format!("{arn}/l443"), "LoadBalancerArn": arn, "Port": 443, "Protocol": "HTTPS",
                              "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg}]}));
        let targets: Vec<Value> = instance_ids
            .iter()
            .filter(|(_, iv)| *iv == v)
            .skip(b / vpcs * 50)
            .take(50)
            .map(|(id, _)| json!({"Target": {"Id": id, "Port": 8080}, "TargetHealth": {"State": "healthy"}}))
            .collect();
        files.push((
            format!("target-health.tg{b}.json"),
            serde_json::to_vec(&json!({"TargetGroupArn": tg, "TargetHealthDescriptions": targets}))
                .unwrap_or_default(),
        ));
    }
    let mut add = |name: &str, v: Value| {
        files.push((name.to_owned(), serde_json::to_vec(&v).unwrap_or_default()))
    };
    add("describe-vpcs.json", json!({"Vpcs": vpc_out}));
    add("describe-subnets.json", json!({"Subnets": subnets}));
    add("describe-route-tables.json", json!({"RouteTables": rtbs}));
    add("describe-network-acls.json", json!({"NetworkAcls": acls}));
    add(
        "describe-internet-gateways.json",
        json!({"InternetGateways": igws}),
    );
    add(
        "describe-security-groups.json",
        json!({"SecurityGroups": sgs}),
    );
    add(
        "describe-instances.json",
        json!({"Reservations": reservations}),
    );
    add(
        "describe-network-interfaces.json",
        json!({"NetworkInterfaces": enis}),
    );
    add(
        "describe-load-balancers.json",
        json!({"LoadBalancers": lbs}),
    );
    add("describe-target-groups.json", json!({"TargetGroups": tgs}));
    add("describe-listeners.json", json!({"Listeners": listeners}));
    files
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let instances: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let files = generate(instances);
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let mut best_import = f64::MAX;
    let mut best_analyze = f64::MAX;
    let mut summary = String::new();
    for _ in 0..runs.max(1) {
        let refs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let t = Instant::now();
        let (model, problems) = vigil_network::aws::import(&refs);
        let ti = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let analysis = vigil_network::analyze(&model);
        let ta = t.elapsed().as_secs_f64();
        best_import = best_import.min(ti);
        best_analyze = best_analyze.min(ta);
        let reachable: std::collections::BTreeSet<&str> =
            analysis.exposures.iter().map(|e| e.host.as_str()).collect();
        summary = format!(
            "{} hosts, {} subnets, {} security groups, {} load balancers; {} exposures on {} hosts; {} problems",
            model.hosts.len(),
            model.subnets.len(),
            model.security_groups.len(),
            model.load_balancers.len(),
            analysis.exposures.len(),
            reachable.len(),
            problems.len() + analysis.problems.len()
        );
    }
    println!(
        "input: {instances} instances, {:.1} MB of describe-* JSON",
        bytes as f64 / 1e6
    );
    println!("model: {summary}");
    println!(
        "import {best_import:.2} s, analysis {best_analyze:.2} s, total {:.2} s (best of {runs}; goal: analysis under 5 s)",
        best_import + best_analyze
    );
}
