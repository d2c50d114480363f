use futures_util::StreamExt;
use visionxl::{BatchOptions, Client, GenerateRequest, Size};
use visionxl_emulator::{Chaos, Emulator, EmulatorConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The emulator in this process, with a random fault of any kind on 20% of requests.
    let emu = Emulator::start(EmulatorConfig::default()).await?;
    emu.set_chaos(Some(Chaos::new(0.2).seed(7)))?;
    let client = Client::builder()
        .api_key(emu.api_key())
        .base_url(emu.base_url())
        .requests_per_minute(0) // the emulator has no rate limit to respect
        .build()?;

    let requests = (0..20)
        .map(|i| {
            GenerateRequest::builder(format!("tile {i}"))
                .size(Size::S512x512)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let options = BatchOptions {
        concurrency: 8,
        manifest: Some("faults-out/manifest.jsonl".into()),
        out_dir: Some("faults-out".into()),
        ..Default::default()
    };
    let mut items = client.generate_many(requests, options).await?;
    while let Some(item) = items.next().await {
        match (&item.result, item.error()) {
            (_, None) => println!("#{} saved {:?}", item.index, item.files),
            (Ok(g), Some(e)) => {
                println!(
                    "#{} paid as {}, not saved yet ({}): run again",
                    item.index,
                    g.id(),
                    e.code()
                )
            }
            (Err(e), _) if e.may_have_been_charged() => {
                println!("#{} may have been charged: {}", item.index, e.code())
            }
            (Err(e), _) => println!("#{} failed, nothing charged: {}", item.index, e.code()),
        }
    }
    println!("faults met: {:?}", emu.chaos_report().by_kind);
    let ledger = emu.ledger();
    assert!(
        ledger
            .charges
            .iter()
            .all(|c| ledger.charges_for(&c.record_id) == 1)
    );
    Ok(())
}
