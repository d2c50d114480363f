use visionxl::{Client, GenerateRequest, Preset, Size};

#[tokio::main]
async fn main() -> Result<(), visionxl::Error> {
    // ONEMIN_API_KEY (and optionally ONEMIN_BASE_URL) from the environment.
    let client = Client::from_env()?;

    let request = GenerateRequest::builder("a lighthouse at dusk, volumetric fog")
        .size(Size::S1024x768)
        .n(2)
        .seed(42)
        .preset(Preset::MaxDetail) // guidance 12, 45 steps, high resolution, Alchemy
        .build()?; // every problem at once, as a validation_error
    println!("price: {} credits", request.credits()?);

    let generation = client.generate(&request).await?;
    let files = generation.save_all("visionxl-out").await?; // + a .json sidecar per image
    println!("record {} -> {files:?}", generation.id());
    Ok(())
}
