CREATE TABLE "achievements" (
	"id" varchar(100) PRIMARY KEY,
	"name" varchar(100) NOT NULL,
	"points" integer NOT NULL,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bosses" (
	"id" varchar(100) PRIMARY KEY,
	"name" varchar(100) NOT NULL,
	"element" varchar(100) NOT NULL,
	"floor" integer NOT NULL,
	"level" integer NOT NULL,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "character_classes" (
	"id" varchar(100) PRIMARY KEY,
	"name" varchar(100) NOT NULL,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "elements" (
	"id" varchar(100) PRIMARY KEY,
	"name" varchar(100) NOT NULL,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "enemies" (
	"id" varchar(100) PRIMARY KEY,
	"name" varchar(100) NOT NULL,
	"level" integer NOT NULL,
	"element" varchar(100) NOT NULL,
	"floor_min" integer NOT NULL,
	"floor_max" integer NOT NULL,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "essence_types" (
	"id" varchar(100) PRIMARY KEY,
	"name" varchar(100) NOT NULL,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hazards" (
	"id" varchar(100) PRIMARY KEY,
	"name" varchar(100) NOT NULL,
	"element" varchar(100) NOT NULL,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "items" (
	"id" varchar(100) PRIMARY KEY,
	"name" varchar(100) NOT NULL,
	"type" varchar(20) NOT NULL,
	"rarity" varchar(20) NOT NULL,
	"stackable" boolean NOT NULL,
	"max_stack" integer NOT NULL,
	"equipment_slot" varchar(20),
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "races" (
	"id" varchar(100) PRIMARY KEY,
	"name" varchar(100) NOT NULL,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "seed_versions" (
	"kind" varchar(50) PRIMARY KEY,
	"version" varchar(50) NOT NULL,
	"updated_at" varchar(40) NOT NULL,
	"checksum" varchar(64) NOT NULL,
	"loaded_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "themes" (
	"id" varchar(100) PRIMARY KEY,
	"name" varchar(100) NOT NULL,
	"element" varchar(100) NOT NULL,
	"floor_min" integer NOT NULL,
	"floor_max" integer NOT NULL,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "traps" (
	"id" varchar(100) PRIMARY KEY,
	"name" varchar(100) NOT NULL,
	"element" varchar(100) NOT NULL,
	"data" jsonb NOT NULL
);
