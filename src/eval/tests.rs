//! The functions added for issue 23, each checked against the examples of Terraform's
//! documentation (developer.hashicorp.com/terraform/language/functions/NAME).

use hcl::Value;

/// Evaluates `expr` (HCL) with the function library.
fn eval(expr: &str) -> Result<Value, String> {
    let body: hcl::Body = hcl::from_str(&format!("x = {expr}")).expect("parses");
    let attribute = body.attributes().next().expect("x").clone();
    super::evaluate(attribute.expr(), &super::base_context()).map_err(|failure| failure.message)
}

fn ok(expr: &str) -> Value {
    eval(expr).unwrap_or_else(|e| panic!("{expr}: {e}"))
}

fn fails(expr: &str) -> String {
    match eval(expr) {
        Ok(value) => panic!("{expr} evaluated to {}", super::functions::short(&value)),
        Err(message) => message,
    }
}

/// `left` and `right` (both HCL) evaluate to the same value.
fn same(left: &str, right: &str) {
    assert_eq!(ok(left), ok(right), "{left}");
}

fn fails_with(expr: &str, wanted: &str) {
    let message = fails(expr);
    assert!(message.contains(wanted), "{expr}: {message}");
}

#[test]
fn collection_functions_as_in_terraform() {
    same(
        r#"merge({a = "b", c = "d"}, {e = "f", c = "z"})"#,
        r#"{a = "b", c = "z", e = "f"}"#,
    );
    same(
        r#"merge({a = "b"}, {a = [1, 2], c = "z"}, {d = 3})"#,
        r#"{a = [1, 2], c = "z", d = 3}"#,
    );
    same(r#"merge({a = 1}, null)"#, r#"{a = 1}"#);
    fails_with("merge({a = 1}, [1])", "argument 2 must be an object");
    same(r#"alltrue(["true", true])"#, "true");
    same("alltrue([true, false])", "false");
    same("alltrue([])", "true");
    same(r#"anytrue(["true"])"#, "true");
    same("anytrue([true, false])", "true");
    same("anytrue([])", "false");
    fails_with(r#"alltrue(["yes"])"#, "must be a list of booleans");
    same(
        r#"distinct(["a", "b", "a", "c", "d", "b"])"#,
        r#"["a", "b", "c", "d"]"#,
    );
    same(r#"flatten([["a", "b"], [], ["c"]])"#, r#"["a", "b", "c"]"#);
    same(
        r#"flatten([[["a", "b"], []], ["c"]])"#,
        r#"["a", "b", "c"]"#,
    );
    same(r#"toset(["c", "b", "b"])"#, r#"["b", "c"]"#);
    same(r#"toset(["a", "b", 3])"#, r#"["3", "a", "b"]"#);
    same("toset([10, 2, 2])", "[2, 10]");
    same(r#"tolist(["a", "b", 3])"#, r#"["a", "b", "3"]"#);
    same(r#"tomap({a = 1, b = 2})"#, r#"{a = 1, b = 2}"#);
    same(
        r#"tomap({a = "foo", b = true})"#,
        r#"{a = "foo", b = "true"}"#,
    );
    fails_with("tomap([1])", "argument 1 must be an object");
    same(r#"sort(["e", "d", "a", "x"])"#, r#"["a", "d", "e", "x"]"#);
    same("sort([10, 9])", r#"["10", "9"]"#);
    same(r#"element(["a", "b", "c"], 1)"#, r#""b""#);
    same(r#"element(["a", "b", "c"], 3)"#, r#""a""#);
    same(
        r#"element(["a", "b", "c"], length(["a", "b", "c"]) - 1)"#,
        r#""c""#,
    );
    same(r#"element(["a", "b", "c"], -1)"#, r#""c""#);
    same(r#"element(["a", "b", "c"], -4)"#, r#""c""#);
    fails_with("element([], 0)", "empty list");
    same(r#"index(["a", "b", "c"], "b")"#, "1");
    fails_with(r#"index(["a"], "z")"#, "not in the list");
    same(r#"slice(["a", "b", "c", "d"], 1, 3)"#, r#"["b", "c"]"#);
    fails_with(r#"slice(["a", "b"], 1, 3)"#, "end index");
    fails_with(r#"slice(["a", "b"], 2, 1)"#, "start index");
    same("range(3)", "[0, 1, 2]");
    same("range(1, 4)", "[1, 2, 3]");
    same("range(1, 8, 2)", "[1, 3, 5, 7]");
    same("range(1, 4, 0.5)", "[1, 1.5, 2, 2.5, 3, 3.5]");
    same("range(4, 1)", "[4, 3, 2]");
    same("range(10, 5, -2)", "[10, 8, 6]");
    same("range(0)", "[]");
    fails_with("range(1, 4, -1)", "step");
    fails_with("range(0, 1, 0)", "step");
    fails_with("range(1e15)", "more than 1024");
    same(r#"zipmap(["a", "b"], [1, 2])"#, r#"{a = 1, b = 2}"#);
    fails_with(r#"zipmap(["a"], [1, 2])"#, "same length");
    same(
        r#"compact(["a", "", "b", null, "c"])"#,
        r#"["a", "b", "c"]"#,
    );
    same("reverse([1, 2, 3])", "[3, 2, 1]");
    same("sum([10, 13, 6, 4.5])", "33.5");
    fails_with("sum([])", "empty list");
    same("one([])", "null");
    same(r#"one(["hello"])"#, r#""hello""#);
    fails_with(r#"one(["hello", "goodbye"])"#, "more than one");
    same(
        r#"setunion(["a", "b"], ["b", "c"], ["d"])"#,
        r#"["a", "b", "c", "d"]"#,
    );
    same(
        r#"setintersection(["a", "b"], ["b", "c"], ["b", "d"])"#,
        r#"["b"]"#,
    );
    same(r#"setsubtract(["a", "b", "c"], ["a", "c"])"#, r#"["b"]"#);
    same(
        r#"chunklist(["a", "b", "c", "d", "e"], 2)"#,
        r#"[["a", "b"], ["c", "d"], ["e"]]"#,
    );
    same(
        r#"chunklist(["a", "b", "c"], 1)"#,
        r#"[["a"], ["b"], ["c"]]"#,
    );
    same(r#"chunklist(["a", "b"], 0)"#, r#"[["a", "b"]]"#);
    // A huge chunk size must not reserve memory for it.
    same(r#"chunklist(["a"], 4000000000000000)"#, r#"[["a"]]"#);
    fails_with(r#"chunklist(["a"], -1)"#, "size");
    same(
        r#"matchkeys(["i-123", "i-abc", "i-def"], ["us-west", "us-east", "us-east"], ["us-east"])"#,
        r#"["i-abc", "i-def"]"#,
    );
    fails_with(r#"matchkeys(["a"], ["x", "y"], ["x"])"#, "same length");
    same(
        r#"transpose({"a" = ["1", "2"], "b" = ["2", "3"]})"#,
        r#"{"1" = ["a"], "2" = ["a", "b"], "3" = ["b"]}"#,
    );
    same(
        r#"setproduct(["development", "staging"], ["app1", "app2"])"#,
        r#"[["development", "app1"], ["development", "app2"], ["staging", "app1"], ["staging", "app2"]]"#,
    );
    same(r#"setproduct(["a", "b"], [])"#, "[]");
    fails_with(r#"setproduct(["a"])"#, "at least 2 arguments");
    fails_with(
        "setproduct(range(1000), range(1000), range(1000))",
        "more than 100000 combinations",
    );
    same(r#"coalescelist(["a", "b"], ["c", "d"])"#, r#"["a", "b"]"#);
    same(r#"coalescelist([], ["c", "d"])"#, r#"["c", "d"]"#);
    fails_with("coalescelist([], [])", "every argument is an empty list");
}

#[test]
fn string_functions_as_in_terraform() {
    same(r#"trimprefix("helloworld", "hello")"#, r#""world""#);
    same(r#"trimprefix("helloworld", "cat")"#, r#""helloworld""#);
    same(r#"trimsuffix("helloworld", "world")"#, r#""hello""#);
    same(r#"chomp("hello\n")"#, r#""hello""#);
    same(r#"chomp("hello\r\n")"#, r#""hello""#);
    same(r#"chomp("hello\n\n")"#, r#""hello""#);
    same(
        r#""items: ${indent(2, "[\n  foo,\n  bar,\n]\n")}""#,
        // Every newline, the last too, is followed by the spaces (Go's strings.Replace).
        r#""items: [\n    foo,\n    bar,\n  ]\n  ""#,
    );
    fails_with(r#"indent(100000, "a")"#, "spaces");
    same(r#"strrev("hello")"#, r#""olleh""#);
    same(r#"strrev("a ☃")"#, r#""☃ a""#);
    same(r#"strcontains("hello world", "wor")"#, "true");
    same(r#"strcontains("hello world", "wod")"#, "false");
}

#[test]
fn number_functions_as_in_terraform() {
    same(r#"parseint("100", 10)"#, "100");
    same(r#"parseint("FF", 16)"#, "255");
    same(r#"parseint("-10", 16)"#, "-16");
    same(r#"parseint("1011111011101111", 2)"#, "48879");
    same(r#"parseint("aA", 62)"#, "656");
    fails_with(r#"parseint("12", 2)"#, "not a base 2 number");
    fails_with(r#"parseint("1", 63)"#, "base");
    same("pow(3, 2)", "9");
    same("pow(4, 0)", "1");
    same("log(16, 2)", "4");
    assert_eq!(
        ok("log(50, 10)").as_f64().map(|f| (f * 1000.0).round()),
        Some(1699.0)
    );
    fails_with("log(-1, 2)", "log");
    same("signum(-13)", "-1");
    same("signum(0)", "0");
    same("signum(344)", "1");
    same("tobool(true)", "true");
    same(r#"tobool("false")"#, "false");
    same("tobool(null)", "null");
    fails_with(r#"tobool("yes")"#, "must be a boolean");
    same(r#"type("a")"#, r#""string""#);
    same(r#"type([1, "a"])"#, r#""tuple([number, string])""#);
    same(r#"type({a = true})"#, r#""object({a: bool})""#);
}

#[test]
fn regular_expressions_as_in_terraform() {
    same(
        r#"regex("[a-z]+", "53453453.345345aaabbbccc23454")"#,
        r#""aaabbbccc""#,
    );
    same(
        r#"regex("(\\d\\d\\d\\d)-(\\d\\d)-(\\d\\d)", "2019-02-01")"#,
        r#"["2019", "02", "01"]"#,
    );
    same(
        r#"regex("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?", "https://terraform.io/docs/")"#,
        r#"{authority = "terraform.io", scheme = "https"}"#,
    );
    fails_with(r#"regex("[a-z]+", "53453453.34534523454")"#, "no match");
    same(
        r#"regexall("[a-z]+", "1234abcd5678efgh9")"#,
        r#"["abcd", "efgh"]"#,
    );
    same(r#"length(regexall("[a-z]+", "1234abcd5678efgh9"))"#, "2");
    same(r#"length(regexall("[a-z]+", "123456789")) > 0"#, "false");
    fails_with(r#"regex("(", "x")"#, "not a valid regular expression");
    same(
        r#"replace("hello world", "/w.*d/", "everybody")"#,
        r#""hello everybody""#,
    );
    same(r#"replace("1 + 2 + 3", "+", "-")"#, r#""1 - 2 - 3""#);
    same(r#"replace("a-b", "/(\\w)-(\\w)/", "$2-$1")"#, r#""b-a""#);
}

#[test]
fn encodings_as_in_terraform() {
    same(
        r#"jsonencode({"hello" = "world"})"#,
        r#""{\"hello\":\"world\"}""#,
    );
    same(
        r#"jsonencode({b = [1, 2.5, true, null], a = "<&>"})"#,
        r#""{\"a\":\"\\u003c\\u0026\\u003e\",\"b\":[1,2.5,true,null]}""#,
    );
    same(
        r#"jsondecode("{\"hello\": \"world\"}")"#,
        r#"{hello = "world"}"#,
    );
    same(r#"jsondecode("true")"#, "true");
    fails_with(r#"jsondecode("{")"#, "not valid JSON");
    same(r#"yamldecode("hello: world")"#, r#"{hello = "world"}"#);
    same(r#"yamldecode("true")"#, "true");
    same(r#"yamldecode("{a: \"b\", c: d}")"#, r#"{a = "b", c = "d"}"#);
    same(r#"yamldecode("- a\n- b\n- c")"#, r#"["a", "b", "c"]"#);
    fails_with(r#"yamldecode("a: [")"#, "not valid YAML");
    // Terraform quotes every string; any YAML reader reads the same value back.
    same(r#"yamlencode({a = "b", c = "d"})"#, r#""a: b\nc: d\n""#);
    same(
        r#"yamldecode(yamlencode({foo = [1, {a = "b", c = "d"}, 3], bar = "baz", n = "1"}))"#,
        r#"{bar = "baz", foo = [1, {a = "b", c = "d"}, 3], n = "1"}"#,
    );
    same(
        r#"csvdecode("a,b,c\n1,2,3\n4,5,6")"#,
        r#"[{a = "1", b = "2", c = "3"}, {a = "4", b = "5", c = "6"}]"#,
    );
    fails_with(r#"csvdecode("a,b\n1,2,3")"#, "not valid CSV");
    fails_with(r#"csvdecode("")"#, "no header line");
    same(r#"base64encode("Hello World")"#, r#""SGVsbG8gV29ybGQ=""#);
    same(r#"base64decode("SGVsbG8gV29ybGQ=")"#, r#""Hello World""#);
    fails_with(r#"base64decode("//79")"#, "UTF-8");
    fails_with(r#"base64decode("%%")"#, "not valid base64");
    same(r#"urlencode("Hello World!")"#, r#""Hello+World%21""#);
    same(r#"urlencode("☃")"#, r#""%E2%98%83""#);
    same(
        r#"urlencode("foo:bar@localhost?foo=bar&bar=baz")"#,
        r#""foo%3Abar%40localhost%3Ffoo%3Dbar%26bar%3Dbaz""#,
    );
    same(r#"urlencode("a-b_c.d~e*")"#, r#""a-b_c.d~e%2A""#);
}

/// A YAML document whose aliases expand to billions of nodes is refused, not expanded.
#[test]
fn yamldecode_refuses_an_alias_bomb() {
    let mut doc = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for (i, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().enumerate() {
        let prev = ["a", "b", "c", "d", "e", "f", "g", "h"][i];
        doc.push_str(&format!(
            "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
    }
    let expr = format!("yamldecode({})", serde_json::to_string(&doc).unwrap());
    let message = fails(&expr);
    assert!(message.contains("not valid YAML"), "{message}");
}

/// Terraform iterates a map in the lexical order of its keys (Terraform 1.11 gives
/// `["owner:y", "team:x"]`), whatever order the map was written in.
#[test]
fn a_for_expression_walks_a_map_in_key_order() {
    same(
        r#"[for k, v in {team = "x", owner = "y"} : "${k}:${v}"]"#,
        r#"["owner:y", "team:x"]"#,
    );
    same(r#"join(",", [for k in {b = 1, a = 2} : k])"#, r#""2,1""#);
    same(
        r#"[for i, x in ["a", "b"] : "${i}${x}"]"#,
        r#"["0a", "1b"]"#,
    );
    same(
        r#"{for k, v in {b = 1, a = 2} : v => k}"#,
        r#"{"1" = "b", "2" = "a"}"#,
    );
    same(
        r#"{for x in ["a", "b", "a"] : x => x...}"#,
        r#"{a = ["a", "a"], b = ["b"]}"#,
    );
    same(r#"[for x in [1, 2, 3] : x * 2 if x != 2]"#, "[2, 6]");
    same(
        r#"[for xs in [[1], [2, 3]] : [for x in xs : x * 10]]"#,
        "[[10], [20, 30]]",
    );
    same(
        r#""%{for k, v in {b = 1, a = 2}}${k}=${v};%{endfor}""#,
        r#""a=2;b=1;""#,
    );
    fails_with(
        r#"{for x in ["a", "a"] : x => 1}"#,
        "gives the key \"a\" twice",
    );
    fails_with(
        r#"[for x in [1] : x if "yes"]"#,
        "must be true or false, got a string",
    );
    fails_with(
        "[for x in 3 : x]",
        "walks a list or an object, got a number (3)",
    );
}

#[test]
fn try_and_can_as_in_terraform() {
    same(r#"try(tonumber("a"), 0)"#, "0");
    same(r#"try(tonumber("12"), 0)"#, "12");
    same(r#"try({a = 1}.b, "fallback")"#, r#""fallback""#);
    same(r#"try({a = 1}.a, "fallback")"#, "1");
    same(r#"[for x in ["1", "a"] : try(tonumber(x), -1)]"#, "[1, -1]");
    same(r#""n=${try(tonumber("a"), "none")}""#, r#""n=none""#);
    same(r#"can(regex("^[a-z]+$", "abc"))"#, "true");
    same(r#"can(regex("^[a-z]+$", "ABC"))"#, "false");
    same(
        r#"[for s in ["ab", "A"] : s if can(regex("^[a-z]+$", s))]"#,
        r#"["ab"]"#,
    );
    same(r#"true ? "ok" : [for x in 3 : x]"#, r#""ok""#);
    same(r#"try(tonumber("a"), tonumber("b"), null)"#, "null");
    fails_with(r#"try(tonumber("a"), tonumber("b"))"#, "no argument");
    fails_with("try()", "at least 1 argument");
    fails_with("can(1, 2)", "takes 1 argument");
    // A misspelt name is not a dynamic failure: Terraform refuses it, and so does monc.
    fails_with(r#"try(lowr("a"), "b")"#, "unknown function `lowr`");
    fails_with(r#"can(nope)"#, "unknown variable `nope`");
}

/// A project directory with a few files, and an evaluator whose file functions read there.
fn project_with_files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |path: &str, text: &[u8]| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write("hello.txt", b"Hello World");
    write("notes/a.txt", b"a");
    write("notes/deep/b.txt", b"b");
    write("notes/c.md", b"c");
    write("latin1.txt", b"caf\xe9");
    write("greeting.tftpl", b"Hello, ${name}!");
    write(
        "backends.tftpl",
        b"%{ for addr in ip_addrs ~}\nbackend ${addr}:${port}\n%{ endfor ~}\n",
    );
    write("loop.tftpl", b"${templatefile(\"loop.tftpl\", {})}");
    write(
        "sorted.tftpl",
        b"${join(\",\", [for k, v in tags : \"${k}:${v}\"])}",
    );
    dir
}

fn eval_in(dir: &std::path::Path, expr: &str) -> Result<Value, String> {
    let body: hcl::Body = hcl::from_str(&format!("x = {expr}")).expect("parses");
    let attribute = body.attributes().next().expect("x").clone();
    super::evaluate(attribute.expr(), &super::base_context_in(dir))
        .map_err(|failure| failure.message)
}

#[test]
fn file_functions_read_inside_the_project_only() {
    let project = project_with_files();
    let dir = project.path();
    let ok = |expr: &str| eval_in(dir, expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let fails_with = |expr: &str, wanted: &str| {
        let message = eval_in(dir, expr).expect_err(expr);
        assert!(message.contains(wanted), "{expr}: {message}");
    };
    assert_eq!(ok(r#"file("hello.txt")"#), Value::from("Hello World"));
    assert_eq!(
        ok(r#"file("${path.root}/hello.txt")"#),
        Value::from("Hello World")
    );
    assert_eq!(
        ok(r#"file("./notes/../hello.txt")"#),
        Value::from("Hello World")
    );
    fails_with(
        r#"file("missing.txt")"#,
        "no file `missing.txt` in the project",
    );
    fails_with(r#"file("../hello.txt")"#, "outside the project");
    fails_with(r#"file("/etc/hostname")"#, "absolute path");
    fails_with(r#"file("latin1.txt")"#, "not UTF-8");
    fails_with(r#"file("notes")"#, "a directory");
    assert_eq!(ok(r#"fileexists("hello.txt")"#), Value::Bool(true));
    assert_eq!(ok(r#"fileexists("nope.txt")"#), Value::Bool(false));
    fails_with(r#"fileexists("../x")"#, "outside the project");
    assert_eq!(ok(r#"fileset("notes", "*.txt")"#), ok(r#"["a.txt"]"#),);
    assert_eq!(
        ok(r#"fileset(path.root, "notes/**/*.txt")"#),
        ok(r#"["notes/a.txt", "notes/deep/b.txt"]"#),
    );
    assert_eq!(
        ok(r#"fileset("notes", "{a.txt,c.md}")"#),
        ok(r#"["a.txt", "c.md"]"#),
    );
    fails_with(r#"fileset("..", "*")"#, "outside the project");
    assert_eq!(
        ok(r#"templatefile("greeting.tftpl", {name = "monc"})"#),
        Value::from("Hello, monc!")
    );
    assert_eq!(
        ok(r#"templatefile("backends.tftpl", {port = 8080, ip_addrs = ["10.0.0.1", "10.0.0.2"]})"#),
        Value::from("backend 10.0.0.1:8080\nbackend 10.0.0.2:8080\n")
    );
    assert_eq!(
        ok(r#"templatefile("sorted.tftpl", {tags = {team = "x", owner = "y"}})"#),
        Value::from("owner:y,team:x")
    );
    fails_with(
        r#"templatefile("greeting.tftpl", {})"#,
        "unknown variable `name`",
    );
    fails_with(
        r#"templatefile("loop.tftpl", {})"#,
        "cannot call `templatefile`",
    );
}

#[test]
fn path_functions_as_in_terraform() {
    same(r#"basename("foo/bar/baz.txt")"#, r#""baz.txt""#);
    same(r#"basename("foo/bar/")"#, r#""bar""#);
    same(r#"basename("")"#, r#"".""#);
    same(r#"dirname("foo/bar/baz.txt")"#, r#""foo/bar""#);
    same(r#"dirname("foo")"#, r#"".""#);
    same(r#"dirname("/foo")"#, r#""/""#);
    same(r#"dirname("foo//bar/")"#, r#""foo/bar""#);
}

#[test]
fn hash_functions_as_in_terraform() {
    same(
        r#"md5("hello world")"#,
        r#""5eb63bbbe01eeed093cb22bb8f5acdc3""#,
    );
    same(
        r#"sha1("hello world")"#,
        r#""2aae6c35c94fcfb415dbe95f408b9ce91ee846ed""#,
    );
    same(
        r#"sha256("hello world")"#,
        r#""b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9""#,
    );
    same(
        r#"sha512("hello world")"#,
        r#""309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f""#,
    );
    same(
        r#"base64sha256("hello world")"#,
        r#""uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=""#,
    );
    same(
        r#"base64sha512("hello world")"#,
        r#""MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw==""#,
    );
}

#[test]
fn file_hash_functions_read_inside_the_project_only() {
    let project = project_with_files();
    let dir = project.path();
    let ok = |expr: &str| eval_in(dir, expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    assert_eq!(
        ok(r#"filebase64("hello.txt")"#),
        Value::from("SGVsbG8gV29ybGQ=")
    );
    // Bytes that are not UTF-8 are read as they are.
    assert_eq!(ok(r#"filebase64("latin1.txt")"#), Value::from("Y2Fm6Q=="));
    assert_eq!(ok(r#"filemd5("hello.txt")"#), ok(r#"md5("Hello World")"#));
    assert_eq!(ok(r#"filesha1("hello.txt")"#), ok(r#"sha1("Hello World")"#));
    assert_eq!(
        ok(r#"filesha256("hello.txt")"#),
        ok(r#"sha256("Hello World")"#)
    );
    assert_eq!(
        ok(r#"filesha512("hello.txt")"#),
        ok(r#"sha512("Hello World")"#)
    );
    assert_eq!(
        ok(r#"filebase64sha256("hello.txt")"#),
        ok(r#"base64sha256("Hello World")"#)
    );
    assert_eq!(
        ok(r#"filebase64sha512("hello.txt")"#),
        ok(r#"base64sha512("Hello World")"#)
    );
    let message = eval_in(dir, r#"filemd5("../x")"#).expect_err("outside");
    assert!(message.contains("outside the project"), "{message}");
}

/// Calls whose result would dwarf their arguments are refused before anything is allocated.
#[test]
fn text_results_are_bounded() {
    let big = r#"join("", [for i in range(1000) : "0123456789"])"#;
    fails_with(
        &format!(r#"replace({big}, "", {big})"#),
        "larger than 1 MiB",
    );
    fails_with(
        &format!(r#"replace({big}, "/(?:)/", {big})"#),
        "larger than 1 MiB",
    );
    fails_with(
        &format!(r#"indent(1000, replace({big}, "/./", "\n\n"))"#),
        "larger than 1 MiB",
    );
    same(r#"replace("abc", "", "-")"#, r#""-a-b-c-""#);
    let groups = format!("{}.*{}", "(".repeat(50), ")".repeat(50));
    fails_with(
        &format!(r#"regexall("{groups}", join("", [for i in range(200) : {big}]))"#),
        "larger than 1 MiB",
    );
}

#[test]
fn try_falls_back_on_an_arithmetic_error() {
    same("try(1 % 0, 5)", "5");
    same("can(1 / 0)", "false");
    same("try(1 / 0, 5)", "5");
}

#[test]
fn templatestring_and_fractional_ranges_as_in_terraform() {
    same(
        r#"templatestring("Hello, $${name}!", {name = "monc"})"#,
        r#""Hello, monc!""#,
    );
    same(
        r#"templatestring("%%{for k, v in m}$${k}=$${v} %%{endfor}", {m = {b = 1, a = 2}})"#,
        r#""a=2 b=1 ""#,
    );
    fails_with(
        r#"templatestring("$${templatestring(\"x\", {})}", {})"#,
        "inside a template",
    );
    fails_with(
        r#"templatestring("$${nope}", {})"#,
        "unknown variable `nope`",
    );
    // Each number is start + i * step, not a running sum that drifts.
    same("length(range(0, 1, 0.1))", "10");
    same("range(0, 0.3, 0.1)[2]", "0.2");
}
