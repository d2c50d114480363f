//! The request in each SDK: Rust, Python, Node, C and the `visionxl` command line. Names come
//! from the parameter table (snake_case, camelCase for Node, flags with `-`).

use std::fmt::Write;

use super::{literal, prompt, set_values};
use crate::request::GenerateRequest;
use crate::spec::{Field, Kind};
use crate::value::ParamValue;

/// Where the snippets save images (the CLI's default `--out`).
const OUT_DIR: &str = "visionxl-out";

/// The request in Rust: `GenerateRequest::from_params` by SDK name, generate, save.
pub fn rust(req: &GenerateRequest) -> String {
    let mut s = String::from(
        "use visionxl::{Client, GenerateRequest, Naming, ParamValue};\n\n\
         #[tokio::main]\n\
         async fn main() -> Result<(), visionxl::Error> {\n    \
         let client = Client::from_env()?; // the key from ONEMIN_API_KEY\n    \
         let (request, _warnings) = GenerateRequest::from_params(\n        [\n",
    );
    for (p, v) in set_values(req) {
        let _ = writeln!(s, "            ({:?}, {}),", p.sdk, literal::rust(&v));
    }
    let _ = write!(
        s,
        "        ],\n        Naming::Sdk,\n        None,\n    )?;\n    \
         let generation = client.generate(&request).await?;\n    \
         let files = generation.save_all({OUT_DIR:?}).await?;\n    \
         println!(\"record {{}} -> {{files:?}}\", generation.id());\n    Ok(())\n}}\n"
    );
    s
}

/// The request in Python: `client.generate(prompt, keyword=value, ...)`.
pub fn python(req: &GenerateRequest) -> String {
    let mut s = String::from(
        "import visionxl\n\nclient = visionxl.Client()  # the key from ONEMIN_API_KEY\n\
         generation = client.generate(\n",
    );
    let _ = writeln!(s, "    {},", literal::json_str(&prompt(req)));
    for (p, v) in set_values(req)
        .into_iter()
        .filter(|(p, _)| p.field != Field::Prompt)
    {
        let _ = writeln!(s, "    {}={},", p.sdk, literal::python(&v));
    }
    let _ = write!(
        s,
        ")\nprint(generation.id, generation.save({:?}))\n",
        OUT_DIR
    );
    s
}

/// The request in Node: `client.generate({camelCase: value, ...})`.
pub fn node(req: &GenerateRequest) -> String {
    let mut s = String::from(
        "import { Client } from 'visionxl';\n\n\
         const client = new Client(); // the key from ONEMIN_API_KEY\n\
         const generation = await client.generate({\n",
    );
    for (p, v) in set_values(req) {
        let _ = writeln!(s, "  {}: {},", p.camel(), literal::js(&v));
    }
    let _ = write!(
        s,
        "}});\nconsole.log(generation.id, await generation.save('{OUT_DIR}'));\n"
    );
    s
}

/// The request in C: the `promptObject` JSON through `vxl_request_from_json`.
pub fn c(req: &GenerateRequest) -> String {
    let body = serde_json::to_string(&req.to_wire()).unwrap_or_default();
    format!(
        "#include <stdio.h>\n#include <visionxl.h>\n\n\
         int main(void) {{\n    \
         const char *prompt_object = {};\n    \
         vxl_request *req = NULL;\n    vxl_client *client = NULL;\n    \
         vxl_generation *gen = NULL;\n    vxl_error *err = NULL;\n    int rc = 1;\n\n    \
         if (vxl_request_from_json(prompt_object, &req, &err) != VXL_OK ||\n        \
         vxl_client_new(NULL /* ONEMIN_API_KEY */, NULL, &client, &err) != VXL_OK ||\n        \
         vxl_generate(client, req, &gen, &err) != VXL_OK ||\n        \
         vxl_generation_save(client, gen, \"{OUT_DIR}\", &err) != VXL_OK) {{\n        \
         fprintf(stderr, \"%s: %s\\n\", vxl_error_code(err), vxl_error_message(err));\n    \
         }} else {{\n        \
         printf(\"record %s\\n\", vxl_generation_id(gen));\n        rc = 0;\n    }}\n    \
         vxl_error_free(err);\n    vxl_generation_free(gen);\n    \
         vxl_client_free(client);\n    vxl_request_free(req);\n    return rc;\n}}\n",
        literal::c_str(&body)
    )
}

/// The request as one `visionxl generate` line (flags from the table; booleans as
/// `--flag` or `--flag=false`, lists as a repeated flag).
pub fn cli(req: &GenerateRequest) -> String {
    let mut s = format!("visionxl generate {}", literal::shell(&prompt(req)));
    for (p, v) in set_values(req)
        .into_iter()
        .filter(|(p, _)| p.field != Field::Prompt)
    {
        let flag = match p.field {
            Field::N => "-n".to_string(),
            _ => format!("--{}", p.sdk.replace('_', "-")),
        };
        match (p.kind, &v) {
            (Kind::Bool, ParamValue::Bool(true)) => {
                let _ = write!(s, " {flag}");
            }
            (Kind::Bool, ParamValue::Bool(false)) => {
                let _ = write!(s, " {flag}=false");
            }
            (_, ParamValue::List(items)) => {
                for item in items {
                    let _ = write!(s, " {flag} {}", literal::shell(&plain(item)));
                }
            }
            _ => {
                let _ = write!(s, " {flag} {}", literal::shell(&plain(&v)));
            }
        }
    }
    s
}

/// A value as plain text (strings unquoted, numbers as JSON writes them).
fn plain(v: &ParamValue) -> String {
    match v {
        ParamValue::Str(s) => s.clone(),
        other => literal::number(other),
    }
}
