ALTER TABLE "characters" ADD COLUMN "race_id" varchar(100);--> statement-breakpoint
ALTER TABLE "characters" ADD COLUMN "class_id" varchar(100);