"""Province-scale batch jobs on Apache Spark: file prediction and weekly aggregation (optional extra ``spark``)."""
