"""The AWS side of an environment: KMS keys, S3 buckets, IAM roles for service accounts, Secrets Manager."""
