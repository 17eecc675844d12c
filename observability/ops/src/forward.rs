//! EMF documents to `PutMetricData`, as CloudWatch Logs' metric extraction does with the documents a Lambda
//! writes to its log: every metric of every directive under every dimension set becomes one datum, with the
//! document's timestamp, its unit and its storage resolution.

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use emf::{Datum, Document};

use crate::Error;

/// PutMetricData takes at most 1000 datums per call.
const MAX_DATUMS_PER_CALL: usize = 1000;

/// The datums of one document, grouped by namespace (one PutMetricData namespace per call).
pub fn metric_data(document: &Document) -> Vec<(String, Vec<MetricDatum>)> {
    let mut out: Vec<(String, Vec<MetricDatum>)> = Vec::new();
    for datum in document.datums() {
        let converted = convert(datum);
        match out.iter_mut().find(|(namespace, _)| *namespace == datum.namespace) {
            Some((_, datums)) => datums.push(converted),
            None => out.push((datum.namespace.clone(), vec![converted])),
        }
    }
    out
}

fn convert(datum: &Datum) -> MetricDatum {
    let millis = i64::try_from(datum.timestamp_ms).unwrap_or(i64::MAX);
    MetricDatum::builder()
        .metric_name(&datum.name)
        .set_dimensions(Some(datum.dimensions.iter().map(|(n, v)| Dimension::builder().name(n).value(v).build()).collect()))
        .set_values(Some(datum.values.clone()))
        .unit(StandardUnit::from(datum.unit.as_str()))
        .storage_resolution(i32::from(datum.resolution.seconds()))
        .timestamp(DateTime::from_millis(millis))
        .build()
}

/// Parses one EMF document (one log line) and sends its metrics; returns how many datums were sent.
pub async fn forward(client: &Client, line: &str) -> Result<usize, Error> {
    let document = Document::parse(line)?;
    let mut sent = 0;
    for (namespace, datums) in metric_data(&document) {
        for chunk in datums.chunks(MAX_DATUMS_PER_CALL) {
            client
                .put_metric_data()
                .namespace(&namespace)
                .set_metric_data(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| Error::cloudwatch("PutMetricData", e))?;
            sent += chunk.len();
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_under_every_dimension_set_is_one_datum() {
        let line = r#"{"_aws":{"Timestamp":1764000000123,"CloudWatchMetrics":[
            {"Namespace":"HarbourView/test","Dimensions":[["service","function"],["service"]],"Metrics":[{"Name":"BookingConfirmed","Unit":"Count"}]},
            {"Namespace":"HarbourView/test","Dimensions":[["service","function"]],"Metrics":[{"Name":"HandlerLatency","Unit":"Milliseconds","StorageResolution":1}]}]},
            "service":"booking","function":"harbour-test-record","BookingConfirmed":[1.0,1.0],"HandlerLatency":12.5,"requestId":"r-1"}"#;
        let groups = metric_data(&Document::parse(line).unwrap());
        assert_eq!(groups.len(), 1);
        let (namespace, datums) = &groups[0];
        assert_eq!(namespace, "HarbourView/test");
        type Summary = (String, Vec<(String, String)>, Vec<f64>, String, i32);
        let summary: Vec<Summary> = datums
            .iter()
            .map(|d| {
                (
                    d.metric_name().unwrap().to_owned(),
                    d.dimensions().iter().map(|x| (x.name().unwrap().to_owned(), x.value().unwrap().to_owned())).collect(),
                    d.values().to_vec(),
                    d.unit().unwrap().as_str().to_owned(),
                    d.storage_resolution().unwrap(),
                )
            })
            .collect();
        let sf = vec![("service".to_owned(), "booking".to_owned()), ("function".to_owned(), "harbour-test-record".to_owned())];
        assert_eq!(
            summary,
            vec![
                ("BookingConfirmed".to_owned(), sf.clone(), vec![1.0, 1.0], "Count".to_owned(), 60),
                ("BookingConfirmed".to_owned(), vec![("service".to_owned(), "booking".to_owned())], vec![1.0, 1.0], "Count".to_owned(), 60),
                ("HandlerLatency".to_owned(), sf, vec![12.5], "Milliseconds".to_owned(), 1),
            ]
        );
        assert!(datums.iter().all(|d| d.timestamp().map(|t| t.to_millis().unwrap()) == Some(1_764_000_000_123)));
    }
}
