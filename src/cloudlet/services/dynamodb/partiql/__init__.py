"""PartiQL for DynamoDB: SELECT, INSERT, UPDATE and DELETE statements with parameters."""
